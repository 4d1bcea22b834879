#ifndef LQ_PRESCAN_H
#define LQ_PRESCAN_H
#include <stddef.h>
/* A flat walk over a file's elements before DCMTK parses it. Refuses
 * (LQ_ERR_DATA, the reason in `why`): sequences and items nested deeper than
 * max_depth (each counts one level), and an element whose declared length
 * runs past the end of the file (DCMTK would allocate that length before
 * finding the data missing). LQ_ERR_OPEN when the file cannot be opened.
 * *depth gets the deepest nesting seen. */
int lq_prescan(const char *path, int max_depth, int *depth, char *why, size_t why_len);
#endif
