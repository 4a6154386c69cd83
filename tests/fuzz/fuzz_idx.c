/* libFuzzer target: the IDX parser (data_idx_parse) on arbitrary bytes.
 * A buffer that parses must be consistent: count is the product of the
 * dimensions and the header plus the data is the whole input. */
#include <stdint.h>
#include <stdlib.h>

#include "data/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    data_idx idx;
    lesde_err e = {0};
    if (data_idx_parse(data, size, "fuzz.idx", &idx, &e) == LESDE_OK) {
        size_t c = 1;
        for (int d = 0; d < idx.ndim; d++)
            c *= (size_t)idx.dims[d];
        if (c != idx.count || 4 + 4 * (size_t)idx.ndim + c != size)
            abort();
        volatile unsigned char sum = 0;
        for (size_t i = 0; i < idx.count; i++)
            sum += idx.data[i];
        data_idx_free(&idx);
    } else if (!e.msg[0] || idx.data) {
        abort();
    }
    return 0;
}
