// The public header compiles on its own in C++ and links with C linkage.
#include "lumenq/lumenq.h"

int main() { return lq_exit_code(LQ_OK); }
