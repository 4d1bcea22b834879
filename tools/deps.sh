# Installs the Debian packages lumenq needs, only those missing. Sourced by
# tools/demo.sh and tools/test.sh; safe to run again (idempotent).
LUMENQ_PACKAGES="gcc g++ meson ninja-build pkg-config libdcmtk-dev dcmtk libopenjp2-7-dev libturbojpeg0-dev libcmocka-dev libcairo2-dev libpng-dev zlib1g-dev libjansson-dev libmicrohttpd-dev python3 python3-pydicom chromium chromium-driver python3-selenium fonts-dejavu-core dicom3tools orthanc curl"

lumenq_install_deps() {
    local missing=()
    for pkg in $LUMENQ_PACKAGES; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "lumenq: need root (or sudo) to install: ${missing[*]}" >&2; return 1; }
        sudo="sudo"
    fi
    echo "lumenq: installing ${missing[*]}" >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# Configures (once) and builds a tree; extra meson options go after the folder.
lumenq_build() {
    local dir=$1; shift
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$@" >&2
    fi
    ninja -C "$dir" >&2
}
