/* Each public header compiles on its own (C17 here, C++17 in
 * header_test.cc): tests/meson.build builds this file once per header,
 * named by LQ_HEADER, included first. */
#include LQ_HEADER
#include "lumenq/lumenq.h"

int main(void) { return lq_exit_code(LQ_OK); }
