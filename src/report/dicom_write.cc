// Thin C++ shim over DCMTK's dcmdata for the objects lumenq writes back into
// a study. Every exception stops here; callers see C status codes.
#include "dicom_write.h"

#include "lumenq/lumenq.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>

#include <cstdio>
#include <ctime>
#include <new>

namespace {

// Patient and study attributes of the new object, as the source has them.
const DcmTagKey copied[] = {DCM_SpecificCharacterSet, DCM_PatientName,   DCM_PatientID,   DCM_IssuerOfPatientID,
                            DCM_PatientBirthDate,     DCM_PatientSex,    DCM_StudyInstanceUID,
                            DCM_StudyDate,            DCM_StudyTime,     DCM_ReferringPhysicianName,
                            DCM_StudyID,              DCM_AccessionNumber, DCM_StudyDescription};
// Type 2: present, empty when the source does not say.
const DcmTagKey type2[] = {DCM_PatientName, DCM_PatientID,  DCM_PatientBirthDate,       DCM_PatientSex,
                           DCM_StudyDate,   DCM_StudyTime,  DCM_ReferringPhysicianName, DCM_StudyID,
                           DCM_AccessionNumber};

bool put(DcmDataset *ds, const DcmTagKey &tag, const char *value)
{
    return ds->putAndInsertString(tag, value).good();
}

} // namespace

extern "C" int lq_dicom_write_encapsulated_pdf(const char *source_path, const uint8_t *pdf, size_t pdf_len,
                                               const char *series_uid, const char *sop_uid, const char *out_path,
                                               char *msg, size_t msg_len)
{
    try {
        DcmFileFormat source;
        // values longer than 4 KiB (the pixel data) are not needed: left on disk
        if (source.loadFile(source_path, EXS_Unknown, EGL_noChange, 4096).bad()) {
            snprintf(msg, msg_len, "cannot read %s again", source_path);
            return LQ_ERR_OPEN;
        }
        DcmDataset *src = source.getDataset();
        DcmFileFormat out;
        DcmDataset *ds = out.getDataset();
        bool ok = true;
        for (const DcmTagKey &tag : copied) {
            DcmElement *e = nullptr;
            if (src->findAndGetElement(tag, e).good() && e) {
                DcmElement *copy = OFstatic_cast(DcmElement *, e->clone());
                ok &= copy && ds->insert(copy, true).good();
            }
        }
        for (const DcmTagKey &tag : type2) ok &= ds->insertEmptyElement(tag, false).good() || ds->tagExists(tag);
        OFString source_class, source_instance;
        src->findAndGetOFString(DCM_SOPClassUID, source_class);
        src->findAndGetOFString(DCM_SOPInstanceUID, source_instance);
        char date[9], time_now[7];
        std::time_t now = std::time(nullptr);
        std::tm tm_now;
        localtime_r(&now, &tm_now);
        std::strftime(date, sizeof date, "%Y%m%d", &tm_now);
        std::strftime(time_now, sizeof time_now, "%H%M%S", &tm_now);

        ok &= put(ds, DCM_SOPClassUID, UID_EncapsulatedPDFStorage);
        ok &= put(ds, DCM_SOPInstanceUID, sop_uid);
        ok &= put(ds, DCM_Modality, "DOC");
        ok &= put(ds, DCM_SeriesInstanceUID, series_uid);
        ok &= put(ds, DCM_SeriesNumber, "9501");
        ok &= put(ds, DCM_SeriesDescription, "lumenq venous stenosis report");
        ok &= put(ds, DCM_InstanceNumber, "1");
        ok &= put(ds, DCM_Manufacturer, "lumenq");
        ok &= put(ds, DCM_SoftwareVersions, LUMENQ_VERSION);
        ok &= put(ds, DCM_ConversionType, "WSD"); // workstation
        ok &= put(ds, DCM_ContentDate, date);
        ok &= put(ds, DCM_ContentTime, time_now);
        ok &= ds->insertEmptyElement(DCM_AcquisitionDateTime).good();
        ok &= put(ds, DCM_BurnedInAnnotation, "YES"); // the report names the patient
        ok &= put(ds, DCM_DocumentTitle, "IVUS venous stenosis report");
        ok &= ds->insertEmptyElement(DCM_ConceptNameCodeSequence).good();
        if (!source_class.empty() && !source_instance.empty()) {
            DcmItem *item = nullptr;
            ok &= ds->findOrCreateSequenceItem(DCM_SourceInstanceSequence, item, -2).good() && item;
            if (item) {
                ok &= item->putAndInsertString(DCM_ReferencedSOPClassUID, source_class.c_str()).good();
                ok &= item->putAndInsertString(DCM_ReferencedSOPInstanceUID, source_instance.c_str()).good();
            }
        }
        ok &= put(ds, DCM_MIMETypeOfEncapsulatedDocument, "application/pdf");
        // OB values have even length: one pad byte, and the real length said
        ok &= ds->putAndInsertUint32(DCM_EncapsulatedDocumentLength, Uint32(pdf_len)).good();
        size_t padded = pdf_len + (pdf_len & 1);
        Uint8 *buf = new (std::nothrow) Uint8[padded];
        if (!buf) {
            snprintf(msg, msg_len, "out of memory");
            return LQ_ERR_INTERNAL;
        }
        memcpy(buf, pdf, pdf_len);
        if (padded != pdf_len) buf[pdf_len] = 0;
        ok &= ds->putAndInsertUint8Array(DCM_EncapsulatedDocument, buf, Uint32(padded)).good();
        delete[] buf;
        if (!ok) {
            snprintf(msg, msg_len, "cannot build the Encapsulated PDF dataset");
            return LQ_ERR_INTERNAL;
        }
        OFCondition c = out.saveFile(out_path, EXS_LittleEndianExplicit);
        if (c.bad()) {
            snprintf(msg, msg_len, "%s", c.text());
            return LQ_ERR_IO;
        }
        return LQ_OK;
    } catch (...) {
        snprintf(msg, msg_len, "unexpected error writing the Encapsulated PDF");
        return LQ_ERR_INTERNAL;
    }
}
