/* Reader stage: internal declarations (the public ones are in lumenq.h). */
#ifndef LQ_READER_H
#define LQ_READER_H
#include "lumenq/lumenq.h"
#endif
