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
} LqpDicomImage;

/* Writes an Ultrasound Multi-frame Image (explicit VR little endian) to `path`. */
int lqp_dicom_write(const LqpDicomImage *im, const char *path, char *msg, size_t msg_len);

#ifdef __cplusplus
}
#endif
#endif
