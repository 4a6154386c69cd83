/* mem: large buffers backed by transparent huge pages (mem.h). */
#include "core/mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)

void *mem_alloc_large(size_t bytes)
{
    if (bytes > SIZE_MAX - HUGE_PAGE)
        return NULL;
    if (bytes < MEM_LARGE) /* aligned_alloc wants a multiple of the alignment */
        return aligned_alloc(64, bytes ? (bytes + 63) / 64 * 64 : 64);
    size_t size = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    void *p = aligned_alloc(HUGE_PAGE, size);
#ifdef MADV_HUGEPAGE
    /* advice only: a kernel without THP says EINVAL, and the buffer stays
     * an ordinary one */
    if (p)
        (void)madvise(p, size, MADV_HUGEPAGE);
#endif
    return p;
}
