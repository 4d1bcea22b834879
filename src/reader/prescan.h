#ifndef LQ_PRESCAN_H
#define LQ_PRESCAN_H
/* Deepest nesting of sequences and items (each counts one level) seen before
 * max_depth is passed. Returns LQ_OK, LQ_ERR_DATA when deeper than max_depth,
 * LQ_ERR_OPEN when the file cannot be opened. */
int lq_prescan_nesting(const char *path, int max_depth, int *depth);
#endif
