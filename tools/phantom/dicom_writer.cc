// Writes the phantom pullback as an IVUS Ultrasound Multi-frame Image with DCMTK.
#include "dicom_writer.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/oflog/oflog.h>

#include <cstdio>
#include <new>

static bool put(DcmItem *it, const DcmTagKey &tag, const char *value)
{
    return it->putAndInsertString(tag, value ? value : "").good();
}

static OFString num(double v)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.10g", v);
    return OFString(buf);
}

extern "C" int lqp_dicom_write(const LqpDicomImage *im, const char *path, char *msg, size_t msg_len)
{
    try {
        OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
        DcmFileFormat file;
        DcmDataset *ds = file.getDataset();
        bool ok = true, one_frame = im->instance_number > 0;
        ok &= put(ds, DCM_SOPClassUID, one_frame ? UID_UltrasoundImageStorage : UID_UltrasoundMultiframeImageStorage);
        ok &= put(ds, DCM_SOPInstanceUID, im->sop_uid);
        ok &= put(ds, DCM_StudyInstanceUID, im->study_uid);
        ok &= put(ds, DCM_SeriesInstanceUID, im->series_uid);
        ok &= put(ds, DCM_PatientName, im->patient_name);
        ok &= put(ds, DCM_PatientID, im->patient_id);
        ok &= put(ds, DCM_PatientBirthDate, "");
        ok &= put(ds, DCM_PatientSex, "O");
        ok &= put(ds, DCM_StudyDate, im->study_date);
        ok &= put(ds, DCM_StudyTime, "120000");
        ok &= put(ds, DCM_ContentDate, im->study_date);
        if (one_frame) {
            char tm[32];
            double t = im->content_time_s;
            int h = int(t / 3600), m = int((t - h * 3600.0) / 60);
            snprintf(tm, sizeof tm, "%02d%02d%09.6f", h % 24, m, t - h * 3600.0 - m * 60.0);
            ok &= put(ds, DCM_ContentTime, tm);
        } else {
            ok &= put(ds, DCM_ContentTime, "120000");
        }
        ok &= put(ds, DCM_AccessionNumber, "");
        ok &= put(ds, DCM_ReferringPhysicianName, "");
        ok &= put(ds, DCM_StudyID, "1");
        ok &= put(ds, DCM_StudyDescription, "IVUS iliac venous pullback (lumenq phantom)");
        ok &= put(ds, DCM_Modality, "IVUS");
        ok &= put(ds, DCM_SeriesNumber, "1");
        ok &= put(ds, DCM_InstanceNumber, one_frame ? num(im->instance_number).c_str() : "1");
        ok &= put(ds, DCM_Manufacturer, "lumenq phantom");
        ok &= put(ds, DCM_ImageType, "ORIGINAL\\PRIMARY");
        ok &= put(ds, DCM_PatientOrientation, "");
        ok &= put(ds, DCM_BurnedInAnnotation, "YES");
        ok &= put(ds, DCM_LossyImageCompression, "00");
        ok &= ds->putAndInsertUint16(DCM_SamplesPerPixel, Uint16(im->samples)).good();
        ok &= put(ds, DCM_PhotometricInterpretation,
                  im->samples == 3 ? "RGB" : im->palette ? "PALETTE COLOR" : "MONOCHROME2");
        if (im->samples == 1 && im->palette) {
            const DcmTagKey desc[3] = {DCM_RedPaletteColorLookupTableDescriptor,
                                       DCM_GreenPaletteColorLookupTableDescriptor,
                                       DCM_BluePaletteColorLookupTableDescriptor};
            const DcmTagKey data[3] = {DCM_RedPaletteColorLookupTableData, DCM_GreenPaletteColorLookupTableData,
                                       DCM_BluePaletteColorLookupTableData};
            const Uint16 d[3] = {256, 0, 16};
            for (int c = 0; c < 3; c++) {
                ok &= ds->putAndInsertUint16Array(desc[c], d, 3).good();
                ok &= ds->putAndInsertUint16Array(data[c], im->palette + 256 * c, 256).good();
            }
        }
        if (im->samples == 3) ok &= ds->putAndInsertUint16(DCM_PlanarConfiguration, 0).good();
        ok &= ds->putAndInsertUint16(DCM_Rows, Uint16(im->rows)).good();
        ok &= ds->putAndInsertUint16(DCM_Columns, Uint16(im->cols)).good();
        ok &= ds->putAndInsertUint16(DCM_BitsAllocated, 8).good();
        ok &= ds->putAndInsertUint16(DCM_BitsStored, 8).good();
        ok &= ds->putAndInsertUint16(DCM_HighBit, 7).good();
        ok &= ds->putAndInsertUint16(DCM_PixelRepresentation, 0).good();
        if (one_frame && im->timing) { // a frame of a pullback: no Cine module, the rate stays
            ok &= put(ds, DCM_IVUSAcquisition, "MOTOR_PULLBACK");
            ok &= put(ds, DCM_IVUSPullbackRate, num(im->pullback_rate_mm_s).c_str());
        }
        if (!one_frame) ok &= put(ds, DCM_NumberOfFrames, num(im->frames).c_str());
        if (im->timing && !one_frame && im->selective) {
            ok &= ds->putAndInsertTagKey(DCM_FrameIncrementPointer, DCM_FrameTime).good();
            ok &= put(ds, DCM_FrameTime, num(im->frame_time_ms).c_str());
            ok &= put(ds, DCM_IVUSAcquisition, "SELECTIVE");
        } else if (im->timing && !one_frame) {
            ok &= ds->putAndInsertTagKey(DCM_FrameIncrementPointer, DCM_FrameTime).good();
            ok &= put(ds, DCM_FrameTime, num(im->frame_time_ms).c_str());
            ok &= put(ds, DCM_IVUSAcquisition, "MOTOR_PULLBACK");
            ok &= put(ds, DCM_IVUSPullbackRate, num(im->pullback_rate_mm_s).c_str());
            ok &= put(ds, DCM_IVUSPullbackStartFrameNumber, num(im->pullback_start ? im->pullback_start : 1).c_str());
            ok &= put(ds, DCM_IVUSPullbackStopFrameNumber, num(im->frames).c_str());
        }
        if (im->calibration == 3) { // contradictory: a Pixel Spacing twice the region's
            OFString sp = num(2 * im->pixel_dy_mm) + "\\" + num(2 * im->pixel_mm);
            ok &= put(ds, DCM_PixelSpacing, sp.c_str());
        }
        if (im->calibration == 1 || im->calibration == 3) {
            DcmItem *region = nullptr;
            ok &= ds->findOrCreateSequenceItem(DCM_SequenceOfUltrasoundRegions, region, -2).good();
            if (region) {
                ok &= region->putAndInsertUint16(DCM_RegionSpatialFormat, 1).good(); // 2D
                ok &= region->putAndInsertUint16(DCM_RegionDataType, 1).good();      // tissue
                ok &= region->putAndInsertUint32(DCM_RegionFlags, 0).good();
                ok &= region->putAndInsertUint32(DCM_RegionLocationMinX0, 0).good();
                ok &= region->putAndInsertUint32(DCM_RegionLocationMinY0, 0).good();
                ok &= region->putAndInsertUint32(DCM_RegionLocationMaxX1, im->cols - 1).good();
                ok &= region->putAndInsertUint32(DCM_RegionLocationMaxY1, im->rows - 1).good();
                ok &= region->putAndInsertUint16(DCM_PhysicalUnitsXDirection, 3).good(); // cm
                ok &= region->putAndInsertUint16(DCM_PhysicalUnitsYDirection, 3).good();
                ok &= region->putAndInsertFloat64(DCM_PhysicalDeltaX, im->pixel_mm / 10.0).good();
                ok &= region->putAndInsertFloat64(DCM_PhysicalDeltaY, im->pixel_dy_mm / 10.0).good();
                ok &= region->putAndInsertSint32(DCM_ReferencePixelX0, Sint32(im->cols / 2)).good();
                ok &= region->putAndInsertSint32(DCM_ReferencePixelY0, Sint32(im->rows / 2)).good();
            }
        } else if (im->calibration == 2) {
            OFString sp = num(im->pixel_dy_mm) + "\\" + num(im->pixel_mm); // row spacing first
            ok &= put(ds, DCM_PixelSpacing, sp.c_str());
        }
        size_t bytes = size_t(im->rows) * im->cols * im->samples * im->frames;
        ok &= ds->putAndInsertUint8Array(DCM_PixelData, im->pixels, Uint32(bytes)).good();
        if (!ok) {
            snprintf(msg, msg_len, "cannot build the dataset");
            return -1;
        }
        OFCondition c = file.saveFile(path, EXS_LittleEndianExplicit);
        if (c.bad()) {
            snprintf(msg, msg_len, "cannot write (%s)", c.text());
            return -1;
        }
        return 0;
    } catch (const std::bad_alloc &) {
        snprintf(msg, msg_len, "out of memory");
        return -1;
    }
}


/* The attributes every CT object of the phantom carries: identification,
 * patient and study. */
static bool put_ct_common(DcmDataset *ds, const char *sop_class, const char *sop_uid, const char *study_uid,
                          const char *series_uid, const char *image_type)
{
    bool ok = put(ds, DCM_SOPClassUID, sop_class);
    ok &= put(ds, DCM_SOPInstanceUID, sop_uid);
    ok &= put(ds, DCM_StudyInstanceUID, study_uid);
    ok &= put(ds, DCM_SeriesInstanceUID, series_uid);
    ok &= put(ds, DCM_PatientName, "PHANTOM^CT");
    ok &= put(ds, DCM_PatientID, "LQ-PHANTOM-CT");
    ok &= put(ds, DCM_Modality, "CT");
    ok &= put(ds, DCM_StudyDate, "20261125");
    ok &= put(ds, DCM_ImageType, image_type);
    return ok;
}

/* The 16-bit signed single-sample pixel module with `count` samples. */
static bool put_ct_pixels(DcmDataset *ds, unsigned rows, unsigned cols, const int16_t *hu, unsigned long count)
{
    bool ok = ds->putAndInsertUint16(DCM_SamplesPerPixel, 1).good();
    ok &= put(ds, DCM_PhotometricInterpretation, "MONOCHROME2");
    ok &= ds->putAndInsertUint16(DCM_Rows, Uint16(rows)).good();
    ok &= ds->putAndInsertUint16(DCM_Columns, Uint16(cols)).good();
    ok &= ds->putAndInsertUint16(DCM_BitsAllocated, 16).good();
    ok &= ds->putAndInsertUint16(DCM_BitsStored, 16).good();
    ok &= ds->putAndInsertUint16(DCM_HighBit, 15).good();
    ok &= ds->putAndInsertUint16(DCM_PixelRepresentation, 1).good();
    ok &= ds->putAndInsertUint16Array(DCM_PixelData, reinterpret_cast<const Uint16 *>(hu), count).good();
    return ok;
}

/* The file saved as explicit VR little endian; `what` names it in errors. */
static int save_ct(DcmFileFormat &file, bool ok, const char *what, const char *path, char *msg, size_t msg_len)
{
    if (!ok) {
        snprintf(msg, msg_len, "cannot build the %s", what);
        return -1;
    }
    if (file.saveFile(path, EXS_LittleEndianExplicit).bad()) {
        snprintf(msg, msg_len, "cannot write %s", path);
        return -1;
    }
    return 0;
}

extern "C" int lqp_dicom_write_ct_slice(const LqpCtSlice *sl, const char *path, char *msg, size_t msg_len)
{
    try {
        OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
        DcmFileFormat file;
        DcmDataset *ds = file.getDataset();
        bool ok = put_ct_common(ds, UID_CTImageStorage, sl->sop_uid, sl->study_uid, sl->series_uid,
                                "ORIGINAL\\PRIMARY\\AXIAL");
        char v[200];
        snprintf(v, sizeof v, "%u", sl->instance_number);
        ok &= put(ds, DCM_InstanceNumber, v);
        snprintf(v, sizeof v, "%.4f\\%.4f\\%.4f", sl->position[0], sl->position[1], sl->position[2]);
        ok &= put(ds, DCM_ImagePositionPatient, v);
        snprintf(v, sizeof v, "%.6f\\%.6f\\%.6f\\%.6f\\%.6f\\%.6f", sl->orientation[0], sl->orientation[1],
                 sl->orientation[2], sl->orientation[3], sl->orientation[4], sl->orientation[5]);
        ok &= put(ds, DCM_ImageOrientationPatient, v);
        snprintf(v, sizeof v, "%.4f\\%.4f", sl->pixel_mm, sl->pixel_mm);
        ok &= put(ds, DCM_PixelSpacing, v);
        snprintf(v, sizeof v, "%.3f", sl->thickness_mm);
        ok &= put(ds, DCM_SliceThickness, v);
        ok &= put(ds, DCM_RescaleIntercept, "0");
        ok &= put(ds, DCM_RescaleSlope, "1");
        ok &= put_ct_pixels(ds, sl->rows, sl->cols, sl->hu, (unsigned long)sl->rows * sl->cols);
        return save_ct(file, ok, "CT slice", path, msg, msg_len);
    } catch (...) {
        snprintf(msg, msg_len, "unexpected error writing a CT slice");
        return -1;
    }
}

/* The first item of sequence `macro` in `parent` (created if missing). */
static DcmItem *macro_item(DcmItem *parent, const DcmTagKey &macro)
{
    DcmItem *it = nullptr;
    return parent && parent->findOrCreateSequenceItem(macro, it, 0).good() ? it : nullptr;
}

extern "C" int lqp_dicom_write_enhanced_ct(const LqpCtEnhanced *e, const char *path, char *msg, size_t msg_len)
{
    try {
        OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
        DcmFileFormat file;
        DcmDataset *ds = file.getDataset();
        bool ok = put_ct_common(ds, UID_EnhancedCTImageStorage, e->sop_uid, e->study_uid, e->series_uid,
                                "ORIGINAL\\PRIMARY\\AXIAL\\NONE");
        char v[200];
        ok &= put(ds, DCM_InstanceNumber, "1");
        snprintf(v, sizeof v, "%u", e->frames);
        ok &= put(ds, DCM_NumberOfFrames, v);
        DcmItem *shared = nullptr;
        ok &= ds->findOrCreateSequenceItem(DCM_SharedFunctionalGroupsSequence, shared, 0).good();
        DcmItem *measures = macro_item(shared, DCM_PixelMeasuresSequence);
        DcmItem *orientation = macro_item(shared, DCM_PlaneOrientationSequence);
        DcmItem *transform = macro_item(shared, DCM_PixelValueTransformationSequence);
        ok &= measures && orientation && transform;
        if (ok) {
            snprintf(v, sizeof v, "%.4f\\%.4f", e->pixel_mm, e->pixel_mm);
            ok &= put(measures, DCM_PixelSpacing, v);
            snprintf(v, sizeof v, "%.3f", e->thickness_mm);
            ok &= put(measures, DCM_SliceThickness, v);
            snprintf(v, sizeof v, "%.6f\\%.6f\\%.6f\\%.6f\\%.6f\\%.6f", e->orientation[0], e->orientation[1],
                     e->orientation[2], e->orientation[3], e->orientation[4], e->orientation[5]);
            ok &= put(orientation, DCM_ImageOrientationPatient, v);
            ok &= put(transform, DCM_RescaleIntercept, "0");
            ok &= put(transform, DCM_RescaleSlope, "1");
            ok &= put(transform, DCM_RescaleType, "HU");
        }
        for (unsigned f = 0; ok && f < e->frames; f++) {
            DcmItem *frame = nullptr;
            ok &= ds->findOrCreateSequenceItem(DCM_PerFrameFunctionalGroupsSequence, frame, -2).good();
            DcmItem *position = macro_item(frame, DCM_PlanePositionSequence);
            ok &= position != nullptr;
            if (!ok) break;
            const double *p = e->positions + 3 * f;
            snprintf(v, sizeof v, "%.4f\\%.4f\\%.4f", p[0], p[1], p[2]);
            ok &= put(position, DCM_ImagePositionPatient, v);
        }
        ok &= put_ct_pixels(ds, e->rows, e->cols, e->hu, (unsigned long)e->rows * e->cols * e->frames);
        return save_ct(file, ok, "Enhanced CT object", path, msg, msg_len);
    } catch (...) {
        snprintf(msg, msg_len, "unexpected error writing an Enhanced CT object");
        return -1;
    }
}
