// Each public header compiles on its own in C++ (included first, named by
// LQ_HEADER), and the library links with C linkage.
#include LQ_HEADER
#include "lumenq/lumenq.h"

int main() { return lq_exit_code(LQ_OK); }
