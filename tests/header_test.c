/* The public header compiles on its own (C17 here, C++17 in header_test.cc). */
#include "lumenq/lumenq.h"

int main(void) { return lq_exit_code(LQ_OK); }
