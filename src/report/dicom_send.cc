// Sending lumenq's DICOM outputs to a node (C-STORE), over DCMTK's
// DcmStorageSCU. Every exception stops here; callers see C status codes.
#include "lumenq/lumenq.h"

extern "C" {
#include "internal.h"
}

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmnet/dstorscu.h>

#include <cstdio>

namespace {

// Counts the instances the peer accepted (DIMSE status success or warning).
class Sender : public DcmStorageSCU {
  public:
    size_t accepted = 0;

  protected:
    void notifySOPInstanceSent(const TransferEntry &e) override
    {
        if (e.RequestSent && (e.ResponseStatusCode == 0x0000 || (e.ResponseStatusCode & 0xF000) == 0xB000))
            accepted++;
    }
};

} // namespace

extern "C" int lq_dicom_send(const char *const *files, size_t count, const char *peer_aet, const char *host,
                             unsigned port, const char *calling_aet, LqError *err)
{
    char where[200];
    snprintf(where, sizeof where, "%s@%s:%u", peer_aet, host, port);
    try {
        if (!count) return LQ_OK;
        if (!port || port > 65535) return lq_fail(err, LQ_ERR_USAGE, "%s: not a port", where);
        Sender scu;
        scu.setAETitle(calling_aet && *calling_aet ? calling_aet : "LUMENQ");
        scu.setPeerAETitle(peer_aet);
        scu.setPeerHostName(host);
        scu.setPeerPort(Uint16(port));
        scu.setACSETimeout(15);
        scu.setDIMSETimeout(60);
        scu.setConnectionTimeout(15);
        for (size_t i = 0; i < count; i++) {
            OFCondition c = scu.addDicomFile(files[i], ERM_fileOnly, OFFalse);
            if (c.bad()) return lq_fail(err, LQ_ERR_DATA, "%s: cannot send %s (%s)", where, files[i], c.text());
        }
        OFCondition c = scu.addPresentationContexts();
        if (c.good()) c = scu.initNetwork();
        if (c.good()) c = scu.negotiateAssociation();
        if (c.good()) c = scu.sendSOPInstances();
        scu.releaseAssociation();
        if (c.bad()) return lq_fail(err, LQ_ERR_IO, "%s: sending failed (%s)", where, c.text());
        if (scu.accepted != count)
            return lq_fail(err, LQ_ERR_IO, "%s: %zu of %zu instances accepted", where, scu.accepted, count);
        return LQ_OK;
    } catch (...) {
        return lq_fail(err, LQ_ERR_INTERNAL, "%s: unexpected error while sending", where);
    }
}
