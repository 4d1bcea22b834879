// Thin C++ shim over DCMTK's dcmdata: parse a file, read attributes, decode
// one frame at a time. Every exception stops here; callers see C status codes.
#include "dicom_shim.h"
#include "lumenq/lumenq.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmdata/dcfcache.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/oflog/oflog.h>

#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <vector>

// Where each frame's compressed bytes are: found once per file, so reading
// frame after frame does not walk DCMTK's item list (linear per item) again.
struct FrameFragments {
    DcmPixelSequence *seq = nullptr;      // the pixel sequence and Number of Frames it was made for
    unsigned frames = 0;
    std::vector<DcmPixelItem *> items;    // the fragments, in order (the offset table left out)
    std::vector<size_t> first;            // frames + 1 entries: frame i is items[first[i]] .. items[first[i+1] - 1]
    std::string error;                    // why the frames cannot be located, when they cannot
};

struct LqDicomFile {
    DcmFileFormat file;
    DcmFileCache cache;
    Uint32 next_fragment = 0;   // first fragment of the next frame (sequential reads)
    unsigned next_frame = 0;
    FrameFragments fragments;
    // A pullback exported one file per frame (lqd_open_series): frame i is the
    // one frame of frame_paths[i], opened when read, one file at a time.
    std::vector<std::string> frame_paths;
    LqDicomFile *frame_file = nullptr;
    unsigned frame_file_index = 0;
    ~LqDicomFile() { delete frame_file; }
};

static void copy_str(char *dst, size_t len, const char *src)
{
    if (!dst || !len) return;
    snprintf(dst, len, "%s", src ? src : "");
}

// Codecs are registered once per process; DCMTK keeps them in a global list.
static void global_init()
{
    static std::once_flag once;
    std::call_once(once, [] {
        // The library must not print: DCMTK's warnings about odd files go nowhere.
        OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
        DcmRLEDecoderRegistration::registerCodecs();
        DJDecoderRegistration::registerCodecs();
        DJLSDecoderRegistration::registerCodecs();
    });
}

static DcmTagKey key(uint32_t tag) { return DcmTagKey(Uint16(tag >> 16), Uint16(tag & 0xffff)); }

static DcmItem *item_for(LqDicomFile *f, uint32_t seq_tag, unsigned item)
{
    DcmDataset *ds = f->file.getDataset();
    if (!ds) return nullptr;
    if (seq_tag == 0) return ds;
    DcmItem *it = nullptr;
    if (ds->findAndGetSequenceItem(key(seq_tag), it, int(item)).bad()) return nullptr;
    return it;
}

extern "C" int lqd_open(const char *path, LqDicomFile **out, char *msg, size_t msg_len)
{
    *out = nullptr;
    try {
        global_init();
        FILE *probe = fopen(path, "rb");
        if (!probe) {
            copy_str(msg, msg_len, strerror(errno));
            return LQ_ERR_OPEN;
        }
        fclose(probe);
        LqDicomFile *f = new LqDicomFile();
        // Values longer than 4 KiB (the pixel data) stay on disk until a frame is read.
        OFCondition c = f->file.loadFile(OFFilename(path), EXS_Unknown, EGL_noChange, 4096,
                                         ERM_autoDetect);
        if (c.bad()) {
            snprintf(msg, msg_len, "not a readable DICOM file (%s)", c.text());
            delete f;
            return LQ_ERR_DATA;
        }
        *out = f;
        return LQ_OK;
    } catch (const std::bad_alloc &) {
        copy_str(msg, msg_len, "out of memory while parsing");
        return LQ_ERR_INTERNAL;
    } catch (...) {
        copy_str(msg, msg_len, "unexpected failure while parsing");
        return LQ_ERR_INTERNAL;
    }
}

extern "C" void lqd_close(LqDicomFile *f) { delete f; }

extern "C" int lqd_open_series(const char *const *paths, unsigned count, LqDicomFile **out, char *msg, size_t msg_len)
{
    *out = nullptr;
    if (count == 0) {
        copy_str(msg, msg_len, "no files");
        return LQ_ERR_DATA;
    }
    int rc = lqd_open(paths[0], out, msg, msg_len);
    if (rc != LQ_OK) return rc;
    try {
        (*out)->frame_paths.assign(paths, paths + count);
    } catch (const std::bad_alloc &) {
        lqd_close(*out);
        *out = nullptr;
        copy_str(msg, msg_len, "out of memory");
        return LQ_ERR_INTERNAL;
    }
    return LQ_OK;
}

extern "C" int lqd_open_again(const LqDicomFile *f, const char *path, LqDicomFile **out, char *msg, size_t msg_len)
{
    if (f->frame_paths.empty()) return lqd_open(path, out, msg, msg_len);
    std::vector<const char *> paths;
    try {
        for (const std::string &p : f->frame_paths) paths.push_back(p.c_str());
    } catch (const std::bad_alloc &) {
        *out = nullptr;
        copy_str(msg, msg_len, "out of memory");
        return LQ_ERR_INTERNAL;
    }
    return lqd_open_series(paths.data(), (unsigned)paths.size(), out, msg, msg_len);
}

// The file holding frame `index` of a series (its frame 0), or f itself.
static LqDicomFile *frame_source(LqDicomFile *f, unsigned *index, int *rc, char *msg, size_t msg_len)
{
    *rc = LQ_OK;
    if (f->frame_paths.empty()) return f;
    if (*index >= f->frame_paths.size()) {
        snprintf(msg, msg_len, "frame %u out of range: frames 1-%zu", *index + 1, f->frame_paths.size());
        *rc = LQ_ERR_USAGE;
        return nullptr;
    }
    if (!f->frame_file || f->frame_file_index != *index) {
        delete f->frame_file;
        f->frame_file = nullptr;
        char why[300];
        *rc = lqd_open(f->frame_paths[*index].c_str(), &f->frame_file, why, sizeof why);
        if (*rc != LQ_OK) {
            snprintf(msg, msg_len, "%s: %s", f->frame_paths[*index].c_str(), why);
            return nullptr;
        }
        f->frame_file_index = *index;
    }
    *index = 0;
    return f->frame_file;
}

extern "C" int lqd_get_string(LqDicomFile *f, uint32_t seq_tag, unsigned item, uint32_t tag,
                              char *buf, size_t len)
{
    copy_str(buf, len, "");
    DcmItem *it = item_for(f, seq_tag, item);
    OFString s;
    if (!it || it->findAndGetOFStringArray(key(tag), s).bad()) return 0;
    copy_str(buf, len, s.c_str());
    return 1;
}

extern "C" int lqd_get_float(LqDicomFile *f, uint32_t seq_tag, unsigned item, uint32_t tag,
                             unsigned vm_index, double *value)
{
    DcmItem *it = item_for(f, seq_tag, item);
    Float64 v = 0;
    if (!it || it->findAndGetFloat64(key(tag), v, vm_index).bad()) return 0;
    *value = v;
    return 1;
}

extern "C" int lqd_get_float_nested(LqDicomFile *f, uint32_t seq_tag, unsigned item, uint32_t inner_seq,
                                    uint32_t tag, unsigned vm_index, double *value)
{
    DcmItem *outer = item_for(f, seq_tag, item), *inner = nullptr;
    Float64 v = 0;
    if (!outer || outer->findAndGetSequenceItem(key(inner_seq), inner, 0).bad() || !inner ||
        inner->findAndGetFloat64(key(tag), v, vm_index).bad())
        return 0;
    *value = v;
    return 1;
}

extern "C" int lqd_get_long(LqDicomFile *f, uint32_t seq_tag, unsigned item, uint32_t tag,
                            long *value)
{
    DcmItem *it = item_for(f, seq_tag, item);
    long v = 0;
    if (!it || it->findAndGetLongInt(key(tag), v).bad()) return 0;
    *value = v;
    return 1;
}

extern "C" int lqd_get_u16(LqDicomFile *f, uint32_t tag, unsigned vm_index, unsigned *value)
{
    DcmDataset *ds = f->file.getDataset();
    Uint16 u = 0;
    Sint16 s16 = 0;
    if (ds && ds->findAndGetUint16(key(tag), u, vm_index).good()) {
        *value = u;
        return 1;
    }
    if (ds && ds->findAndGetSint16(key(tag), s16, vm_index).good()) {
        *value = Uint16(s16); /* descriptors stored as SS mean the same bits */
        return 1;
    }
    return 0;
}

extern "C" int lqd_get_u16_array(LqDicomFile *f, uint32_t tag, const uint16_t **values, size_t *count)
{
    DcmDataset *ds = f->file.getDataset();
    const Uint16 *arr = nullptr;
    unsigned long n = 0;
    if (!ds || ds->findAndGetUint16Array(key(tag), arr, &n).bad() || !arr) return 0;
    *values = arr;
    *count = n;
    return 1;
}

extern "C" int lqd_has_tag(LqDicomFile *f, uint32_t tag)
{
    DcmDataset *ds = f->file.getDataset();
    return ds && ds->tagExists(key(tag));
}

extern "C" unsigned lqd_sequence_length(LqDicomFile *f, uint32_t seq_tag)
{
    DcmDataset *ds = f->file.getDataset();
    DcmSequenceOfItems *seq = nullptr;
    if (!ds || ds->findAndGetSequence(key(seq_tag), seq).bad() || !seq) return 0;
    return unsigned(seq->card());
}

extern "C" int lqd_has_pixel_data(LqDicomFile *f)
{
    DcmDataset *ds = f->file.getDataset();
    return ds && ds->tagExists(DCM_PixelData);
}

extern "C" int lqd_transfer_syntax(LqDicomFile *f, char *uid, size_t uid_len, char *name, size_t name_len)
{
    // The file meta header says what the file is; DCMTK falls back to its own
    // guess for a syntax it does not know (e.g. HTJ2K in 3.6.7).
    OFString meta_uid;
    DcmMetaInfo *meta = f->file.getMetaInfo();
    if (meta && meta->findAndGetOFStringArray(DCM_TransferSyntaxUID, meta_uid).good() && !meta_uid.empty()) {
        DcmXfer declared(meta_uid.c_str());
        copy_str(uid, uid_len, meta_uid.c_str());
        if (declared.getXfer() == EXS_Unknown) {
            const char *known = dcmFindNameOfUID(meta_uid.c_str(), nullptr);
            copy_str(name, name_len, known ? known : "unknown to DCMTK");
            return 0;
        }
        copy_str(name, name_len, declared.getXferName());
        return 1;
    }
    DcmXfer xfer(f->file.getDataset()->getOriginalXfer());
    copy_str(uid, uid_len, xfer.getXferID());
    copy_str(name, name_len, xfer.getXferName());
    return 1;
}

extern "C" void lqd_sop_class_name(const char *uid, char *name, size_t len)
{
    copy_str(name, len, dcmFindNameOfUID(uid, ""));
}

static DcmElement *pixel_element(LqDicomFile *f)
{
    DcmElement *e = nullptr;
    DcmDataset *ds = f->file.getDataset();
    if (!ds || ds->findAndGetElement(DCM_PixelData, e).bad()) return nullptr;
    return e;
}

extern "C" void lqd_pixel_layout(LqDicomFile *f, int *encapsulated, uint64_t *native_length)
{
    DcmXfer xfer(f->file.getDataset()->getOriginalXfer());
    DcmElement *e = pixel_element(f);
    /* a syntax DCMTK does not know (HTJ2K): undefined-length pixel data is
     * a pixel sequence all the same */
    *encapsulated = xfer.isEncapsulated() || (e && e->getLengthField() == DCM_UndefinedLength) ? 1 : 0;
    *native_length = (e && !*encapsulated) ? e->getLengthField() : 0;
    *native_length *= f->frame_paths.empty() ? 1 : f->frame_paths.size(); /* each file was checked alike */
}

extern "C" int lqd_frame_size(LqDicomFile *f, size_t *bytes, char *msg, size_t msg_len)
{
    *bytes = 0;
    DcmElement *e = pixel_element(f);
    if (!e) {
        copy_str(msg, msg_len, "no Pixel Data (7FE0,0010)");
        return LQ_ERR_DATA;
    }
    Uint32 size = 0;
    OFCondition c = e->getUncompressedFrameSize(f->file.getDataset(), size);
    if (c.bad() || size == 0) {
        snprintf(msg, msg_len, "cannot size a frame (%s)", c.bad() ? c.text() : "zero size");
        return LQ_ERR_DATA;
    }
    *bytes = size;
    return LQ_OK;
}

extern "C" int lqd_read_frame(LqDicomFile *f, unsigned index, void *buf, size_t buf_len,
                              char *color_model, char *msg, size_t msg_len)
{
    try {
        int rc;
        if (!(f = frame_source(f, &index, &rc, msg, msg_len))) return rc;
        DcmElement *e = pixel_element(f);
        if (!e) {
            copy_str(msg, msg_len, "no Pixel Data (7FE0,0010)");
            return LQ_ERR_DATA;
        }
        DcmXfer xfer(f->file.getDataset()->getOriginalXfer());
        if (!xfer.isEncapsulated()) {
            // DCMTK 3.6.7 sizes native YBR_FULL_422 frames as three samples a
            // pixel; the caller knows the true frame size, so copy it directly.
            OFCondition c = e->getPartialValue(buf, Uint32(index) * Uint32(buf_len), Uint32(buf_len), &f->cache);
            if (c.bad()) {
                snprintf(msg, msg_len, "cannot read frame %u (%s)", index + 1, c.text());
                return LQ_ERR_DATA;
            }
            copy_str(color_model, 17, "");
            return LQ_OK;
        }
        // Sequential reads let DCMTK carry the fragment index forward; random
        // access restarts the search from fragment 0.
        Uint32 fragment = (index == f->next_frame) ? f->next_fragment : 0;
        OFString model;
        OFCondition c = e->getUncompressedFrame(f->file.getDataset(), Uint32(index), fragment,
                                                buf, Uint32(buf_len + (buf_len & 1)), model, &f->cache);
        if (c.bad()) {
            DcmXfer xfer(f->file.getDataset()->getOriginalXfer());
            snprintf(msg, msg_len, "cannot decode frame %u (%s; transfer syntax %s %s)",
                     index + 1, c.text(), xfer.getXferID(), xfer.getXferName());
            f->next_frame = 0;
            f->next_fragment = 0;
            return LQ_ERR_DATA;
        }
        f->next_frame = index + 1;
        f->next_fragment = fragment;
        copy_str(color_model, 17, model.c_str());
        return LQ_OK;
    } catch (const std::bad_alloc &) {
        copy_str(msg, msg_len, "out of memory while decoding");
        return LQ_ERR_INTERNAL;
    } catch (...) {
        copy_str(msg, msg_len, "unexpected failure while decoding");
        return LQ_ERR_INTERNAL;
    }
}

// JPEG frames (and JPEG-LS) begin with a start-of-image marker (FF D8).
static bool starts_jpeg_image(DcmPixelItem *it)
{
    Uint8 *data = nullptr;
    bool soi = it->getLength() >= 2 && it->getUint8Array(data).good() && data && data[0] == 0xFF && data[1] == 0xD8;
    it->compact(); /* keep memory bounded: the fragment goes back to disk */
    return soi;
}

// PS3.5 A.4: one fragment per frame, a single frame in any number of
// fragments, or several fragments per frame; then the Basic Offset Table
// gives each frame's first fragment (byte offsets counted from the first
// fragment's item header) or, when it is empty, each JPEG frame starts a
// fragment with its start-of-image marker (as DCMTK finds them).
static void locate_frames(DcmPixelSequence *seq, unsigned frames, FrameFragments &t)
{
    t = FrameFragments();
    t.seq = seq;
    t.frames = frames;
    DcmPixelItem *bot = nullptr;
    for (DcmObject *o = seq->nextInContainer(nullptr); o; o = seq->nextInContainer(o)) {
        DcmPixelItem *it = OFdynamic_cast(DcmPixelItem *, o);
        if (!it) break;
        if (!bot) bot = it;
        else t.items.push_back(it);
    }
    size_t fragments = t.items.size();
    if (fragments == 0) {
        t.error = "encapsulated pixel data has no fragments";
        return;
    }
    if (frames == 1) {
        t.first = {0, fragments};
        return;
    }
    if (fragments == frames) {
        for (size_t k = 0; k <= fragments; k++) t.first.push_back(k);
        return;
    }
    Uint8 *raw = nullptr;
    if (bot->getLength() >= 4ul * frames && bot->getUint8Array(raw).good() && raw) {
        std::vector<Uint32> pos; /* offset of each fragment's item header */
        Uint32 at = 0;
        for (DcmPixelItem *it : t.items) pos.push_back(at), at += 8 + it->getLength();
        for (unsigned i = 0; i < frames; i++) {
            Uint32 start;
            memcpy(&start, raw + 4 * i, 4);
            t.first.push_back(size_t(std::lower_bound(pos.begin(), pos.end(), start) - pos.begin()));
        }
        t.first.push_back(fragments);
        for (unsigned i = 0; i < frames; i++)
            if (t.first[i] >= t.first[i + 1]) {
                t.error = "no fragment for frame " + std::to_string(i + 1) + " in the offset table";
                t.first.clear();
                return;
            }
        return;
    }
    if (bot->getLength() == 0 && starts_jpeg_image(t.items[0])) {
        t.first.push_back(0);
        for (size_t k = 1; k < fragments && t.first.size() <= frames; k++)
            if (starts_jpeg_image(t.items[k])) t.first.push_back(k);
        if (t.first.size() == frames) {
            t.first.push_back(fragments);
            return;
        }
        t.first.clear();
    }
    t.error = std::to_string(fragments) + " fragments for " + std::to_string(frames) +
              " frames and no offset table to tell which are whose";
}

extern "C" int lqd_encapsulated_frame(LqDicomFile *f, unsigned index, unsigned frames, uint8_t **out, size_t *len,
                                      char *msg, size_t msg_len)
{
    *out = nullptr;
    *len = 0;
    try {
        int rc;
        if (!f->frame_paths.empty()) frames = 1;
        if (!(f = frame_source(f, &index, &rc, msg, msg_len))) return rc;
        DcmDataset *ds = f->file.getDataset();
        DcmElement *e = pixel_element(f);
        DcmPixelData *pd = e ? OFdynamic_cast(DcmPixelData *, e) : nullptr;
        DcmPixelSequence *seq = nullptr;
        E_TransferSyntax rep = ds->getOriginalXfer();
        const DcmRepresentationParameter *rep_param = nullptr;
        if (pd && !DcmXfer(rep).isEncapsulated()) pd->getOriginalRepresentationKey(rep, rep_param); /* HTJ2K */
        if (!pd || pd->getEncapsulatedRepresentation(rep, rep_param, seq).bad() || !seq) {
            copy_str(msg, msg_len, "no encapsulated pixel data");
            return LQ_ERR_DATA;
        }
        FrameFragments &t = f->fragments;
        if (t.seq != seq || t.frames != frames) locate_frames(seq, frames, t);
        if (t.first.empty()) {
            copy_str(msg, msg_len, t.error.c_str());
            return LQ_ERR_DATA;
        }
        if (index >= frames) {
            snprintf(msg, msg_len, "frame %u out of range: frames 1-%u", index + 1, frames);
            return LQ_ERR_USAGE;
        }
        size_t total = 0;
        for (size_t k = t.first[index]; k < t.first[index + 1]; k++) total += t.items[k]->getLength();
        uint8_t *buf = static_cast<uint8_t *>(malloc(total ? total : 1));
        if (!buf) {
            copy_str(msg, msg_len, "out of memory for a compressed frame");
            return LQ_ERR_INTERNAL;
        }
        size_t at = 0;
        for (size_t k = t.first[index]; k < t.first[index + 1]; k++) {
            DcmPixelItem *it = t.items[k];
            Uint8 *data = nullptr;
            Uint32 n = it->getLength();
            if (n && (it->getUint8Array(data).bad() || !data)) {
                free(buf);
                snprintf(msg, msg_len, "cannot read fragment %zu", k + 1);
                return LQ_ERR_DATA;
            }
            if (n) memcpy(buf + at, data, n);
            at += n;
            it->compact(); /* keep memory bounded: the fragment goes back to disk */
        }
        *out = buf;
        *len = at;
        return LQ_OK;
    } catch (const std::bad_alloc &) {
        copy_str(msg, msg_len, "out of memory while reading a compressed frame");
        return LQ_ERR_INTERNAL;
    }
}
