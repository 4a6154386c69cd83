/* mem: large buffers backed by transparent huge pages (mem.h). */
#include "core/mem.h"

#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define HUGE_PAGE ((size_t)2 << 20)

void *mem_alloc_large(size_t bytes)
{
    if (bytes > SIZE_MAX - HUGE_PAGE)
        return NULL;
    if (bytes < MEM_LARGE) /* aligned_alloc wants a multiple of the alignment */
        return aligned_alloc(64, bytes ? (bytes + 63) / 64 * 64 : 64);
    size_t size = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    void *p = aligned_alloc(HUGE_PAGE, size);
    mem_advise_huge(p, size);
    return p;
}

int mem_advise_huge(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    /* advice only: a kernel without THP says EINVAL, and the memory stays
     * as it was */
    uintptr_t lo = ((uintptr_t)p + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    uintptr_t hi = ((uintptr_t)p + bytes) / HUGE_PAGE * HUGE_PAGE;
    return p && hi > lo && madvise((void *)lo, hi - lo, MADV_HUGEPAGE) == 0;
#else
    (void)p, (void)bytes;
    return 0;
#endif
}

int mem_heap_huge(size_t bytes)
{
#if defined(__GLIBC__) && defined(MADV_HUGEPAGE)
    /* glibc's tunable glibc.malloc.hugetlb=1 does this, but tunables are
     * read before main. The heap now grows `bytes` beyond each extension
     * (and keeps that much at its top when freed); one extension is forced
     * here and its span marked for huge pages (the whole 2 MiB pages in
     * it). Blocks below `bytes` come from the heap: glibc's threshold for
     * mmap, which setting the pad fixes, would rise to 32 MiB by itself. */
    if (bytes > 32u << 20 || !mallopt(M_TOP_PAD, (int)bytes) ||
        !mallopt(M_MMAP_THRESHOLD, (int)bytes))
        return 0; /* not glibc's malloc (a sanitizer's, valgrind's) */
    /* volatile: GCC drops a free(malloc(...)) */
    void *volatile force = malloc(bytes / 2);
    free(force);
    return mem_advise_huge((char *)sbrk(0) - bytes, bytes);
#else
    (void)bytes;
    return 0;
#endif
}
