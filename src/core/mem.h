/* mem: large buffers backed by transparent huge pages.
 *
 * The first touch of each 4 KiB page costs a page fault; under this
 * project's virtual machines a fault costs ~10 us, so a task's two
 * generated data sets (24 MB) spent ~70 ms in faults, more than their
 * generation's arithmetic. A buffer on 2 MiB pages faults 512 times less
 * often. Where the kernel gives no huge pages (THP "never", another OS)
 * the buffer is an ordinary one. */
#ifndef LESDE_CORE_MEM_H
#define LESDE_CORE_MEM_H

#include <stddef.h>

/* Uninitialised memory of at least `bytes`, 64-byte (cache line) aligned,
 * released with free(); NULL when out of memory. From MEM_LARGE bytes on
 * it is 2 MiB aligned, its size rounded up to a multiple of 2 MiB, and
 * marked for huge pages; below that a huge page would be mostly waste. */
void *mem_alloc_large(size_t bytes);

#define MEM_LARGE ((size_t)1 << 20)

/* Marks the whole 2 MiB pages inside [p, p + bytes) of a buffer from
 * malloc or realloc for huge pages (advice: nothing else changes), for a
 * buffer that grows by realloc. 1: some marked; 0: none (no whole page
 * inside, or a kernel without THP). */
int mem_advise_huge(void *p, size_t bytes);

/* Lets the heap (small allocations: HDF5's metadata, most of the rest)
 * grow on huge pages for `bytes` (at most 32 MiB) beyond what it holds
 * now: a task's store creation and summary faulted ~2,000 heap pages
 * (~35 ms). Call once, first thing in main. 1: done; 0: not here (another
 * malloc, as under a sanitizer or valgrind; no THP in the kernel). */
int mem_heap_huge(size_t bytes);

#endif
