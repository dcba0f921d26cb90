/* clef.h must compile on its own as strict C11 (first and only include). */
#include "clef.h"

int main(void) { return clef_abi_version() == CLEF_ABI_VERSION ? 0 : 1; }
