/* The reader's study: what study.c (open, identification), calibration.c,
 * timing.c, palette.c and pixels.c share. Internal to src/reader/. */
#ifndef LQ_READER_STUDY_H
#define LQ_READER_STUDY_H

#include "dicom_shim.h"
#include "internal.h"

#include <stdint.h>
#include <stdlib.h>

#define TAG(g, e) (((uint32_t)(g) << 16) | (uint32_t)(e))

enum {
    T_SOP_CLASS = TAG(0x0008, 0x0016),
    T_SOP_INSTANCE = TAG(0x0008, 0x0018),
    T_STUDY_DATE = TAG(0x0008, 0x0020),
    T_ACQUISITION_TIME = TAG(0x0008, 0x0032),
    T_CONTENT_TIME = TAG(0x0008, 0x0033),
    T_MODALITY = TAG(0x0008, 0x0060),
    T_MANUFACTURER = TAG(0x0008, 0x0070),
    T_STUDY_DESCRIPTION = TAG(0x0008, 0x1030),
    T_PATIENT_NAME = TAG(0x0010, 0x0010),
    T_PATIENT_ID = TAG(0x0010, 0x0020),
    T_CINE_RATE = TAG(0x0018, 0x0040),
    T_FRAME_TIME = TAG(0x0018, 0x1063),
    T_FRAME_TIME_VECTOR = TAG(0x0018, 0x1065),
    T_IMAGER_PIXEL_SPACING = TAG(0x0018, 0x1164),
    T_IVUS_ACQUISITION = TAG(0x0018, 0x3100),
    T_IVUS_PULLBACK_RATE = TAG(0x0018, 0x3101),
    T_IVUS_PULLBACK_START = TAG(0x0018, 0x3103),
    T_IVUS_PULLBACK_STOP = TAG(0x0018, 0x3104),
    T_US_REGIONS = TAG(0x0018, 0x6011),
    T_REGION_SPATIAL_FORMAT = TAG(0x0018, 0x6012),
    T_REGION_DATA_TYPE = TAG(0x0018, 0x6014),
    T_REGION_X0 = TAG(0x0018, 0x6018),
    T_REGION_Y0 = TAG(0x0018, 0x601A),
    T_REGION_X1 = TAG(0x0018, 0x601C),
    T_REGION_Y1 = TAG(0x0018, 0x601E),
    T_PHYS_UNITS_X = TAG(0x0018, 0x6024),
    T_PHYS_UNITS_Y = TAG(0x0018, 0x6026),
    T_PHYS_DELTA_X = TAG(0x0018, 0x602C),
    T_PHYS_DELTA_Y = TAG(0x0018, 0x602E),
    T_STUDY_UID = TAG(0x0020, 0x000D),
    T_SERIES_UID = TAG(0x0020, 0x000E),
    T_INSTANCE_NUMBER = TAG(0x0020, 0x0013),
    T_SAMPLES_PER_PIXEL = TAG(0x0028, 0x0002),
    T_PHOTOMETRIC = TAG(0x0028, 0x0004),
    T_PLANAR_CONFIGURATION = TAG(0x0028, 0x0006),
    T_NUMBER_OF_FRAMES = TAG(0x0028, 0x0008),
    T_ROWS = TAG(0x0028, 0x0010),
    T_COLUMNS = TAG(0x0028, 0x0011),
    T_PIXEL_SPACING = TAG(0x0028, 0x0030),
    T_IMAGE_POSITION = TAG(0x0020, 0x0032),
    T_IMAGE_ORIENTATION = TAG(0x0020, 0x0037),
    T_RESCALE_INTERCEPT = TAG(0x0028, 0x1052),
    T_RESCALE_SLOPE = TAG(0x0028, 0x1053),
    /* Enhanced (multi-frame) objects: functional groups and their macros */
    T_SHARED_GROUPS = TAG(0x5200, 0x9229),
    T_PER_FRAME_GROUPS = TAG(0x5200, 0x9230),
    T_PIXEL_MEASURES = TAG(0x0028, 0x9110),
    T_PLANE_POSITION = TAG(0x0020, 0x9113),
    T_PLANE_ORIENTATION = TAG(0x0020, 0x9116),
    T_PIXEL_VALUE_TRANSFORM = TAG(0x0028, 0x9145),
    T_BITS_ALLOCATED = TAG(0x0028, 0x0100),
    T_BITS_STORED = TAG(0x0028, 0x0101),
    T_PIXEL_REPRESENTATION = TAG(0x0028, 0x0103),
    T_PALETTE_DESCRIPTOR_R = TAG(0x0028, 0x1101), /* G, B follow */
    T_PALETTE_DATA_R = TAG(0x0028, 0x1201),       /* G, B follow */
    T_SEGMENTED_PALETTE_R = TAG(0x0028, 0x1221),
};

/* Sanity limits: refuse before allocating. */
#define LQ_MAX_DIM 8192u
#define LQ_MAX_FRAMES 200000u
#define LQ_MAX_PIXEL_MM 5.0
/* Sequence + item levels; real objects use a handful, DCMTK recurses per level. */
#define LQ_MAX_NESTING 256

struct LqStudy {
    LqStudyInfo info;
    LqDicomFile *file;
    int planar_configuration;
    int pixel_signed;
    double *position_mm;   /* one per frame */
    double *frame_position; /* Enhanced objects: Image Position (Patient) of each frame (frames x 3) */
    uint8_t *decode_buf;   /* one decoded frame as DCMTK delivers it */
    uint8_t *palette_luma; /* PALETTE COLOR: stored index -> luma, 2^bits_stored entries */
    uint8_t *overlay_mask; /* colour frames: console graphics found in the frame being read */
    uint8_t *palette_luma_graphics; /* bit per palette entry: a saturated colour (graphics) */
    int palette_has_graphics;
    size_t decode_len;
    int measurable;
    int j2k;               /* frames decoded with OpenJPEG */
    int jpeg_turbo;        /* JPEG frames tried with libjpeg-turbo before DCMTK (jpeg.h) */
    void *jpeg_handle;     /* its turbojpeg instance, made at the first frame */
    const char *frame_decoder; /* who decoded the last frame read: a codec's name */
    int syntax_known;      /* DCMTK knows the transfer syntax */
    double series_frame_time_ms; /* one file per frame: the frame time their Content Times keep (0: none) */
    char not_measurable_why[200];
};

/* calibration.c: mm per pixel (docs/measurements.md, "Calibration and
 * timing") and where the frames lie in the patient. */
void lq_study_calibrate(LqStudy *s, const LqOpenOptions *opt);
void lq_study_read_patient_geometry(LqStudy *s);
int lq_study_read_enhanced_geometry(LqStudy *s);
/* timing.c: frame time, pullback rate and each frame's position. */
void lq_study_timing(LqStudy *s, const LqOpenOptions *opt);
/* palette.c: the PALETTE COLOR tables as one stored value -> luma table;
 * NULL, or why the frames cannot be turned into luma. */
const char *lq_study_load_palette(LqStudy *s);

/* The decoder of the frame read last ("libjpeg-turbo", "DCMTK", "OpenJPEG"),
 * or "" before any: the tests check which path a frame took. */
const char *lq_study_frame_decoder(const LqStudy *s);

/* ITU-R BT.601 luma in 8.8 fixed point; DICOM RGB carries no other weighting. */
static inline uint8_t luma(unsigned r, unsigned g, unsigned b)
{
    return (uint8_t)((77u * r + 150u * g + 29u * b + 128u) >> 8);
}

/* Console graphics burned into colour frames (text, measurement marks,
 * borders) are saturated colours; ultrasound is grey or a gentle tint. A
 * pixel whose chroma is large both in itself and against its brightness is
 * graphics, not tissue. */
static inline int is_overlay_colour(int ybr, unsigned a, unsigned b, unsigned c)
{
    if (ybr) { /* Y, Cb, Cr */
        unsigned chroma = (unsigned)abs((int)b - 128) + (unsigned)abs((int)c - 128);
        return chroma > 96;
    }
    unsigned hi = a > b ? (a > c ? a : c) : (b > c ? b : c), lo = a < b ? (a < c ? a : c) : (b < c ? b : c);
    return hi - lo > 96 && 2 * (hi - lo) > hi;
}

/* What reading frames holds (the file, the JPEG decoder, the frame buffers):
 * freed alike for the study and for a worker's reader (lq_study_open_reader). */
void lq_study_free_reading(LqStudy *s);

#endif
