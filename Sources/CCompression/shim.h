// zlib and zstd from Debian's zlib1g-dev and libzstd-dev: streaming decompression of image layers.
#include <zlib.h>
#include <zstd.h>
