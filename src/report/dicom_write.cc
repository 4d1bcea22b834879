// Thin C++ shim over DCMTK's dcmdata for the objects lumenq writes back into
// a study. Every exception stops here; callers see C status codes.
#include "dicom_write.h"

#include <sys/stat.h>

#include "lumenq/lumenq.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmsr/cmr/tid1500.h>
#include <dcmtk/dcmsr/codes/dcm.h>
#include <dcmtk/dcmsr/codes/sct.h>
#include <dcmtk/dcmsr/dsrdoc.h>

#include <cmath>

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

int save(DcmFileFormat &out, const char *path, char *msg, size_t msg_len)
{
    OFCondition c = out.saveFile(path, EXS_LittleEndianExplicit);
    if (c.bad()) {
        snprintf(msg, msg_len, "%s", c.text());
        return LQ_ERR_IO;
    }
    return LQ_OK;
}

// The source's patient and study, on the new object (type 2 ones present).
bool copy_patient_study(DcmDataset *src, DcmDataset *ds)
{
    bool ok = true;
    for (const DcmTagKey &tag : copied) {
        DcmElement *e = nullptr;
        if (src->findAndGetElement(tag, e).good() && e) {
            DcmElement *copy = OFstatic_cast(DcmElement *, e->clone());
            ok &= copy && ds->insert(copy, true).good();
        }
    }
    for (const DcmTagKey &tag : type2) ok &= ds->insertEmptyElement(tag, false).good() || ds->tagExists(tag);
    return ok;
}

// Codes for what lumenq measures (docs/sr.md says where each comes from).
const DSRBasicCodedEntry code_lumen_area("122480", "DCM", "Vessel Lumen Cross-Sectional Area");
const DSRBasicCodedEntry code_diameter("81827009", "SCT", "Diameter");
const DSRBasicCodedEntry code_length("410668003", "SCT", "Length");
// SNOMED CT identifiers of the vascular ultrasound concepts formerly coded
// R-101BB and R-101BA (SRT); pydicom's SRT<->SCT map agrees (docs/sr.md).
const DSRBasicCodedEntry code_diameter_stenosis("408715008", "SCT", "Lumen Diameter Stenosis");
const DSRBasicCodedEntry code_area_stenosis("408714007", "SCT", "Lumen Area Stenosis");
const DSRBasicCodedEntry unit_mm("mm", "UCUM", "millimeter");
const DSRBasicCodedEntry unit_mm2("mm2", "UCUM", "square millimeter");
const DSRBasicCodedEntry unit_percent("%", "UCUM", "percent");
const DSRBasicCodedEntry code_minimum("255605001", "SCT", "Minimum");
const DSRBasicCodedEntry code_maximum("56851009", "SCT", "Maximum");
const DSRBasicCodedEntry code_mean("373098007", "SCT", "Mean");

// Finding sites by LqSite, with the retired SRT codes a source may still carry.
struct Site {
    const char *sct, *srt, *meaning;
};
const Site sites[] = {{nullptr, nullptr, nullptr},
                      {"46027005", "T-48920", "Common iliac vein"},
                      {"63507001", "T-48930", "External iliac vein"},
                      {"397363009", "G-035B", "Common femoral vein"},
                      {"64131007", "T-48710", "Inferior vena cava"}};
const int n_sites = int(sizeof sites / sizeof sites[0]);

DSRCodedEntryValue site_code(int site) { return DSRCodedEntryValue(sites[site].sct, "SCT", sites[site].meaning); }

// The pullback's anatomy when its Anatomic Region Sequence names one of the sites; 0 otherwise.
int source_site(DcmDataset *src)
{
    DcmItem *item = nullptr;
    if (src->findAndGetSequenceItem(DCM_AnatomicRegionSequence, item, 0).bad() || !item) return 0;
    OFString value, scheme;
    item->findAndGetOFString(DCM_CodeValue, value);
    item->findAndGetOFString(DCM_CodingSchemeDesignator, scheme);
    for (int i = 1; i < n_sites; i++)
        if ((scheme == "SCT" && value == sites[i].sct) || (scheme == "SRT" && value == sites[i].srt)) return i;
    return 0;
}

typedef TID1500_MeasurementReport::TID1501_Measurements Group;

// A caliper as a two-point polyline in image coordinates (column, row; the
// top-left pixel's centre is 0.5, 0.5), contour mm having it at 0, 0.
DSRSpatialCoordinatesValue polyline(const double *xy_mm, unsigned n, bool closed, double dx, double dy)
{
    DSRSpatialCoordinatesValue v(DSRTypes::GT_Polyline);
    for (unsigned k = 0; k < n + (closed ? 1 : 0); k++) {
        const double *p = &xy_mm[2 * (k % n)];
        v.getGraphicDataList().addItem(Float32(p[0] / dx + 0.5), Float32(p[1] / dy + 0.5));
    }
    return v;
}

// One NUM in the current measurement group, with its derivation, its
// equivalent meaning and the image it was measured on (when given).
bool add_measure(Group &g, const DSRBasicCodedEntry &concept, double value, const DSRBasicCodedEntry &unit,
                 const DSRBasicCodedEntry *derivation, const char *meaning, const DSRImageReferenceValue *image,
                 const DSRSpatialCoordinatesValue *caliper = nullptr)
{
    if (!std::isfinite(value)) return true;
    char text[32];
    snprintf(text, sizeof text, "%.2f", value);
    Group::MeasurementValue num;
    bool ok = num.setValue(text, CID7181_AbstractMultiDimensionalImageModelComponentUnits(unit), OFFalse).good();
    ok &= g.addMeasurement(CID7469_GenericIntensityAndSizeMeasurements(concept), num, OFTrue, OFFalse).good();
    Group::TID300_Measurement &m = g.getMeasurement();
    if (derivation) ok &= m.setDerivation(CID7464_GeneralRegionOfInterestMeasurementModifiers(*derivation), OFFalse).good();
    if (meaning) ok &= m.setEquivalentMeaningOfConceptName(meaning, OFFalse).good();
    if (caliper && image)
        ok &= m.addSpatialCoordinates(CODE_DCM_SourceOfMeasurement, *caliper, *image, OFFalse).good();
    else if (image)
        ok &= m.addImage(CODE_DCM_SourceOfMeasurement, *image, OFFalse).good();
    return ok;
}

// Every narrowed segment as a TID 1501 group of its own: its tracking
// identifier says which and against what, its finding site is its vein, its
// MLA and MLD reference its MLA frame.
bool add_segment_groups(TID1500_MeasurementReport &report, const LqSrIvus *g, const OFString &class_uid,
                        const OFString &instance_uid)
{
    bool ok = true;
    for (unsigned i = 0; ok && i < g->segment_count; i++) {
        const LqSrSegment &seg = g->segments[i];
        char label[160];
        snprintf(label, sizeof label, "narrowed segment %u (%s, frames %u-%u), against %s", seg.number,
                 seg.site > 0 && seg.site < n_sites ? sites[seg.site].meaning : "vein", seg.first, seg.last, seg.against);
        DSRImageReferenceValue image(class_uid, instance_uid);
        image.getFrameList().addItem(Sint32(seg.mla_frame));
        ok = report.addIndividualMeasurements().good();
        Group &grp = report.getIndividualMeasurements();
        ok = ok && grp.setTrackingIdentifier(label).good();
        if (seg.site > 0 && seg.site < n_sites) ok = ok && grp.addFindingSite(site_code(seg.site)).good();
        ok = ok && add_measure(grp, code_lumen_area, seg.mla_mm2, unit_mm2, &code_minimum, "MLA of the segment", &image);
        ok = ok && add_measure(grp, code_diameter, seg.mld_mm, unit_mm, &code_minimum,
                               "MLD of the segment, minimal Feret diameter", &image);
        ok = ok && add_measure(grp, code_diameter_stenosis, seg.diameter_stenosis_pct, unit_percent, nullptr,
                               "%DS = 100*(1 - MLD/D_ref of its reference)", nullptr);
        ok = ok && add_measure(grp, code_area_stenosis, seg.area_stenosis_pct, unit_percent, nullptr,
                               "%AS = 100*(1 - MLA/A_ref of its reference)", nullptr);
        ok = ok && add_measure(grp, code_diameter_stenosis, seg.equiv_diameter_stenosis_pct, unit_percent, nullptr,
                               "equivalent-diameter stenosis = 100*(1 - sqrt(MLA/A_ref of its reference))", nullptr);
        ok = ok && add_measure(grp, code_length, seg.length_mm, unit_mm, nullptr,
                               "segment length: contiguous frames below 50 % of its reference's area", nullptr);
        ok = ok && add_measure(grp, code_lumen_area, seg.reference_area_mm2, unit_mm2, &code_mean,
                               "A_ref of the segment's own reference", nullptr);
        ok = ok && add_measure(grp, code_diameter, seg.reference_diameter_mm, unit_mm, nullptr,
                               "D_ref of the segment's own reference", nullptr);
    }
    return ok;
}

// TID 1410 planar ROI groups, one per contour, after the last group of
// Imaging Measurements: tracking identifier and UID, finding site, the
// closed lumen polyline selected from its frame, and the lumen area inside it.
/* The recording that judged the lesion's dynamics (a stationary recording,
 * a second pullback) read again for its identifiers; NULL when there is
 * none or it is a folder (a series of single-frame files). */
DcmDataset *load_dynamics_source(DcmFileFormat &file, const LqSrIvus *g)
{
    if (!g->dynamics_path) return nullptr;
    struct stat st;
    if (stat(g->dynamics_path, &st) != 0 || !S_ISREG(st.st_mode)) return nullptr;
    if (file.loadFile(g->dynamics_path, EXS_Unknown, EGL_noChange, 4096).bad()) return nullptr;
    return file.getDataset();
}

bool add_planar_rois(DSRDocumentTree &tree, const LqSrIvus *v, int lesion_site, const OFString &class_uid,
                     const OFString &instance_uid)
{
    if (!v->roi_count) return true;
    if (!tree.gotoNamedNode(CODE_DCM_ImagingMeasurements) || !tree.goDown()) return false;
    while (tree.gotoNext()) {
    }
    bool ok = true;
    for (unsigned i = 0; ok && i < v->roi_count; i++) {
        const LqSrRoi &roi = v->rois[i];
        int site = roi.is_lesion ? lesion_site : v->reference_site;
        char label[64], area[32];
        snprintf(label, sizeof label, "lumen contour, %s frame %u", roi.is_lesion ? "lesion" : "reference", roi.frame);
        snprintf(area, sizeof area, "%.2f", roi.area_mm2);
        DSRImageReferenceValue image(class_uid, instance_uid);
        image.getFrameList().addItem(Sint32(roi.frame));
        ok = tree.addContentItem(DSRTypes::RT_contains, DSRTypes::VT_Container, CODE_DCM_MeasurementGroup).good();
        ok = ok && tree.addChildContentItem(DSRTypes::RT_hasObsContext, DSRTypes::VT_Text, CODE_DCM_TrackingIdentifier).good();
        ok = ok && tree.getCurrentContentItem().setStringValue(label).good();
        ok = ok && tree.addContentItem(DSRTypes::RT_hasObsContext, DSRTypes::VT_UIDRef, CODE_DCM_TrackingUniqueIdentifier).good();
        ok = ok && tree.getCurrentContentItem().setStringValue(roi.tracking_uid).good();
        if (site > 0 && site < n_sites) {
            ok = ok && tree.addContentItem(DSRTypes::RT_hasConceptMod, DSRTypes::VT_Code, CODE_SCT_FindingSite).good();
            ok = ok && tree.getCurrentContentItem().setCodeValue(site_code(site)).good();
        }
        ok = ok && tree.addContentItem(DSRTypes::RT_contains, DSRTypes::VT_SCoord, CODE_DCM_ImageRegion).good();
        ok = ok && tree.getCurrentContentItem()
                       .setSpatialCoordinates(polyline(roi.xy_mm, roi.n, true, v->pixel_dx_mm, v->pixel_dy_mm))
                       .good();
        ok = ok && tree.addContentItem(DSRTypes::RT_selectedFrom, DSRTypes::VT_Image, DSRTypes::AM_belowCurrent) > 0;
        ok = ok && tree.getCurrentContentItem().setImageReference(image).good();
        ok = ok && tree.goUp() > 0;
        ok = ok && tree.addContentItem(DSRTypes::RT_contains, DSRTypes::VT_Num, code_lumen_area).good();
        ok = ok && tree.getCurrentContentItem()
                       .setNumericValue(DSRNumericMeasurementValue(area, unit_mm2))
                       .good();
        ok = ok && tree.goUp() > 0; /* back to the group, the next one goes after it */
    }
    return ok;
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
        bool ok = copy_patient_study(src, ds);
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
        return save(out, out_path, msg, msg_len);
    } catch (...) {
        snprintf(msg, msg_len, "unexpected error writing the Encapsulated PDF");
        return LQ_ERR_INTERNAL;
    }
}

extern "C" int lq_dicom_write_sr(const char *source_path, const LqSrValues *v, const char *series_uid,
                                 const char *sop_uid, const char *out_path, char *msg, size_t msg_len)
{
    return lq_dicom_write_sr_ivus(source_path, v, nullptr, series_uid, sop_uid, out_path, msg, msg_len);
}

extern "C" int lq_dicom_write_sr_ivus(const char *source_path, const LqSrValues *v, const LqSrIvus *g,
                                      const char *series_uid, const char *sop_uid, const char *out_path, char *msg,
                                      size_t msg_len)
{
    const LqSrIvus none = LqSrIvus();
    if (!g) g = &none;
    try {
        DcmFileFormat source;
        if (source.loadFile(source_path, EXS_Unknown, EGL_noChange, 4096).bad()) {
            snprintf(msg, msg_len, "cannot read %s again", source_path);
            return LQ_ERR_OPEN;
        }
        DcmDataset *src = source.getDataset();
        OFString study_uid, series_src, class_uid, instance_uid;
        src->findAndGetOFString(DCM_StudyInstanceUID, study_uid);
        src->findAndGetOFString(DCM_SeriesInstanceUID, series_src);
        src->findAndGetOFString(DCM_SOPClassUID, class_uid);
        src->findAndGetOFString(DCM_SOPInstanceUID, instance_uid);
        /* the reference's own instance (another CT slice), else the source */
        DcmFileFormat ref_file;
        DcmDataset *ref_src = src;
        if (v->reference_source_path) {
            if (ref_file.loadFile(v->reference_source_path, EXS_Unknown, EGL_noChange, 4096).bad()) {
                snprintf(msg, msg_len, "cannot read %s again", v->reference_source_path);
                return LQ_ERR_OPEN;
            }
            ref_src = ref_file.getDataset();
        }
        OFString ref_series, ref_class, ref_instance;
        ref_src->findAndGetOFString(DCM_SeriesInstanceUID, ref_series);
        ref_src->findAndGetOFString(DCM_SOPClassUID, ref_class);
        ref_src->findAndGetOFString(DCM_SOPInstanceUID, ref_instance);

        TID1500_MeasurementReport report(CMR_CID7021::ImagingMeasurementReport);
        const char *failed = "";
/* the first failing step is named in the message */
#define STEP(what, call) if (ok && !(call)) ok = false, failed = what
        bool ok = report.setLanguage(CID5000_Languages::English).good();
        STEP("observer", report.getObservationContext()
                  .addDeviceObserver(v->device_uid, "lumenq", "lumenq", "lumenq " LUMENQ_VERSION)
                  .good());
        const DSRCodedEntryValue procedure =
            v->procedure_code ? DSRCodedEntryValue(v->procedure_code, v->procedure_scheme, v->procedure_meaning)
                              : DSRCodedEntryValue("IVUS", "DCM", "Intravascular Ultrasound");
        STEP("procedure",
             report.addProcedureReported(CID100_QuantitativeDiagnosticImagingProcedures(procedure), OFFalse).good());
        if (!report.getImageLibrary().hasImageLibrary()) STEP("library", report.getImageLibrary().createNewImageLibrary().good());
        STEP("image group", report.getImageLibrary().addImageGroup().good());
        STEP("image entry", report.getImageLibrary().addImageEntry(*src, TID1600_ImageLibrary::withoutDescriptors, TID1600_ImageLibrary::ConceptNameList(), OFFalse).good());
        if (ref_src != src)
            STEP("reference image entry", report.getImageLibrary().addImageEntry(*ref_src, TID1600_ImageLibrary::withoutDescriptors, TID1600_ImageLibrary::ConceptNameList(), OFFalse).good());

        DSRImageReferenceValue lesion_image(class_uid, instance_uid), reference_image(ref_class, ref_instance);
        if (v->lesion_frame) lesion_image.getFrameList().addItem(Sint32(v->lesion_frame));
        for (unsigned f = v->reference_first; f && f <= v->reference_last; f++)
            reference_image.getFrameList().addItem(Sint32(f));

        STEP("lesion group", report.addIndividualMeasurements().good());
        Group &lesion = report.getIndividualMeasurements();
        STEP("lesion tracking id",
             lesion.setTrackingIdentifier(v->lesion_label ? v->lesion_label : "lesion (minimal lumen area)").good());
        const int lesion_site = g->lesion_site > 0 && g->lesion_site < n_sites ? g->lesion_site : source_site(src);
        if (lesion_site) STEP("lesion finding site", lesion.addFindingSite(site_code(lesion_site)).good());
        STEP("MLA", add_measure(lesion, code_lumen_area, v->mla_mm2, unit_mm2, &code_minimum, "MLA", &lesion_image));
        DSRSpatialCoordinatesValue mld_caliper, max_caliper;
        if (g->has_calipers) {
            mld_caliper = polyline(g->mld_caliper_mm, 2, false, g->pixel_dx_mm, g->pixel_dy_mm);
            max_caliper = polyline(g->max_caliper_mm, 2, false, g->pixel_dx_mm, g->pixel_dy_mm);
        }
        STEP("MLD", add_measure(lesion, code_diameter, v->mld_mm, unit_mm, &code_minimum, "MLD, minimal Feret diameter",
                          &lesion_image, g->has_calipers ? &mld_caliper : nullptr));
        STEP("maximal diameter", add_measure(lesion, code_diameter, v->max_diameter_mm, unit_mm, &code_maximum,
                          "maximal Feret diameter", &lesion_image, g->has_calipers ? &max_caliper : nullptr));
        STEP("%DS", add_measure(lesion, code_diameter_stenosis, v->diameter_stenosis_pct, unit_percent, nullptr,
                          "%DS = 100*(1 - MLD/D_ref)", nullptr));
        STEP("%AS", add_measure(lesion, code_area_stenosis, v->area_stenosis_pct, unit_percent, nullptr,
                          "%AS = 100*(1 - MLA/A_ref)", nullptr));
        STEP("equivalent %DS", add_measure(lesion, code_diameter_stenosis, v->equiv_diameter_stenosis_pct, unit_percent, nullptr,
                          "equivalent-diameter stenosis = 100*(1 - sqrt(MLA/A_ref))", nullptr));
        STEP("lesion length", add_measure(lesion, code_length, v->lesion_length_mm, unit_mm, nullptr,
                          "lesion length: contiguous frames (CT: sections) below 50 % of A_ref", nullptr));

        if (std::isfinite(v->reference_area_mm2)) {
            STEP("reference group", report.addIndividualMeasurements().good());
            Group &ref = report.getIndividualMeasurements();
            STEP("reference tracking id",
                 ref.setTrackingIdentifier(v->reference_label ? v->reference_label : "reference (external iliac vein)")
                     .good());
            if (g->reference_site > 0 && g->reference_site < n_sites)
                STEP("reference finding site", ref.addFindingSite(site_code(g->reference_site)).good());
            const DSRImageReferenceValue *img = v->reference_first || ref_src != src ? &reference_image : nullptr;
            STEP("A_ref", add_measure(ref, code_lumen_area, v->reference_area_mm2, unit_mm2, &code_mean, "A_ref", img));
            STEP("D_ref", add_measure(ref, code_diameter, v->reference_diameter_mm, unit_mm, nullptr,
                              "D_ref = 2*sqrt(A_ref/pi)", img));
        }
        STEP("narrowed segments", add_segment_groups(report, g, class_uid, instance_uid));
        STEP("verdict", report.addQualitativeEvaluation(CODE_DCM_Finding, OFString(v->verdict), OFFalse).good());
        STEP("method", report.addQualitativeEvaluation(CODE_DCM_Comment, OFString(v->method), OFFalse).good());
        if (g->edits) STEP("edits", report.addQualitativeEvaluation(CODE_DCM_Comment, OFString(g->edits), OFFalse).good());
        /* the dynamic verdict and the other recording it rests on */
        DcmFileFormat dyn_file;
        DcmDataset *dyn_src = load_dynamics_source(dyn_file, g);
        OFString dyn_series, dyn_class, dyn_instance;
        if (dyn_src) {
            dyn_src->findAndGetOFString(DCM_SeriesInstanceUID, dyn_series);
            dyn_src->findAndGetOFString(DCM_SOPClassUID, dyn_class);
            dyn_src->findAndGetOFString(DCM_SOPInstanceUID, dyn_instance);
            STEP("dynamics image entry", report.getImageLibrary().addImageEntry(*dyn_src, TID1600_ImageLibrary::withoutDescriptors, TID1600_ImageLibrary::ConceptNameList(), OFFalse).good());
        }
        if (g->dynamics)
            STEP("dynamics", report.addQualitativeEvaluation(CODE_DCM_Comment, OFString(g->dynamics), OFFalse).good());
        if (!ok || !report.isValid()) {
            snprintf(msg, msg_len, "cannot build the measurement report (TID 1500)%s%s", ok ? ": incomplete" : ": ",
                     failed);
            return LQ_ERR_INTERNAL;
        }

        DSRDocument doc;
        if (doc.setTreeFromRootTemplate(report, OFTrue).bad()) {
            snprintf(msg, msg_len, "cannot build the structured report document");
            return LQ_ERR_INTERNAL;
        }
        if (!add_planar_rois(doc.getTree(), g, lesion_site, class_uid, instance_uid)) {
            snprintf(msg, msg_len, "cannot add the lumen contours (TID 1410) to the structured report");
            return LQ_ERR_INTERNAL;
        }
        doc.createNewSeriesInStudy(study_uid);
        doc.completeDocument(); /* every measurement lumenq makes is in it */
        doc.setManufacturer("lumenq");
        doc.setSeriesDescription("lumenq venous stenosis measurements");
        doc.getCurrentRequestedProcedureEvidence().addItem(study_uid, series_src, class_uid, instance_uid);
        if (ref_src != src) doc.getCurrentRequestedProcedureEvidence().addItem(study_uid, ref_series, ref_class, ref_instance);
        if (dyn_src) doc.getCurrentRequestedProcedureEvidence().addItem(study_uid, dyn_series, dyn_class, dyn_instance);
        DcmFileFormat out;
        DcmDataset *ds = out.getDataset();
        if (doc.write(*ds).bad()) {
            snprintf(msg, msg_len, "cannot encode the structured report");
            return LQ_ERR_INTERNAL;
        }
        ok = copy_patient_study(src, ds);
        if (!ok) failed = "patient and study";
        STEP("series UID", put(ds, DCM_SeriesInstanceUID, series_uid));
        STEP("SOP instance UID", put(ds, DCM_SOPInstanceUID, sop_uid));
        STEP("series number", put(ds, DCM_SeriesNumber, "9502"));
        STEP("instance number", put(ds, DCM_InstanceNumber, "1"));
        STEP("software version", put(ds, DCM_SoftwareVersions, LUMENQ_VERSION));
        if (!ok) {
            snprintf(msg, msg_len, "cannot set the report's identification: %s", failed);
            return LQ_ERR_INTERNAL;
        }
        return save(out, out_path, msg, msg_len);
    } catch (...) {
        snprintf(msg, msg_len, "unexpected error writing the structured report");
        return LQ_ERR_INTERNAL;
    }
}
