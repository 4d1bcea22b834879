/* C interface of the phantom's DICOM writer (dicom_writer.cc, DCMTK). */
#ifndef LQP_DICOM_WRITER_H
#define LQP_DICOM_WRITER_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

typedef struct LqpDicomImage {
    unsigned rows, cols, frames, samples;   /* samples: 1 (MONOCHROME2) or 3 (RGB) */
    const uint8_t *pixels;                  /* frames*rows*cols*samples bytes */
    double pixel_mm;                        /* width of a pixel */
    double pixel_dy_mm;                     /* height of a pixel */
    int calibration;                        /* 1 US regions, 2 Pixel Spacing, 0 none */
    int timing;                             /* write Frame Time and IVUS Pullback Rate */
    double frame_time_ms, pullback_rate_mm_s;
    const char *patient_name, *patient_id, *study_date;
    const char *study_uid, *series_uid, *sop_uid;
    unsigned pullback_start;                /* IVUS Pullback Start Frame Number (1-based) */
    const uint16_t *palette;                /* with samples 1: PALETTE COLOR, 256 R, G, B entries of 16 bits */
    /* one file per frame: a single-frame US Image (frames 1) with this
     * Instance Number and Content Time (seconds into the day), IVUS Pullback
     * Rate but no Frame Time; 0: the multi-frame object */
    unsigned instance_number;
    double content_time_s;
    int selective;                          /* a stationary recording: IVUS Acquisition SELECTIVE, Frame
                                               Time, no pullback rate or start/stop frames */
} LqpDicomImage;

/* One CT slice (CT Image Storage, MONOCHROME2, 16-bit signed, HU with
 * rescale 1/0). */
typedef struct LqpCtSlice {
    unsigned rows, cols;
    const int16_t *hu;
    double pixel_mm, thickness_mm;
    double position[3], orientation[6];  /* LPS mm; row then column direction */
    unsigned instance_number;
    const char *study_uid, *series_uid, *sop_uid;
} LqpCtSlice;
int lqp_dicom_write_ct_slice(const LqpCtSlice *s, const char *path, char *msg, size_t msg_len);

/* A whole series as one Enhanced CT Image object: the frames in file order,
 * each with its own Plane Position in the per-frame functional groups;
 * spacing, orientation and rescale shared. */
typedef struct LqpCtEnhanced {
    unsigned rows, cols, frames;
    const int16_t *hu;          /* frames x rows x cols, file order */
    const double *positions;    /* frames x 3, LPS mm */
    double pixel_mm, thickness_mm, orientation[6];
    const char *study_uid, *series_uid, *sop_uid;
} LqpCtEnhanced;
int lqp_dicom_write_enhanced_ct(const LqpCtEnhanced *e, const char *path, char *msg, size_t msg_len);

/* Writes an Ultrasound Multi-frame Image (explicit VR little endian) to `path`. */
int lqp_dicom_write(const LqpDicomImage *im, const char *path, char *msg, size_t msg_len);

#ifdef __cplusplus
}
#endif
#endif
