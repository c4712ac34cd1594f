/*
 * tests/guest/heap.c - pvk_port_malloc() / pvk_port_free(): a small heap.
 *
 * A fixed 256 KiB arena in .bss cut into blocks, each a 16-byte header
 * followed by its payload; the blocks tile the arena with no gaps. malloc
 * takes the first free block that fits and splits off the rest; free marks
 * the block free and merges neighbouring free blocks. Headers carry a
 * magic number so a bad or double free panics with a clear message instead
 * of corrupting the list. The kit only allocates small control structures
 * (pages come from page_alloc.c), so first fit over a short list is enough.
 * 256 KiB since session 11: a disk's queue array is sized for the most
 * queues (8 x about 1 KiB, kept from its probe to its release so a resume
 * never reallocates it under a waiter) and a vif's for 8 queues of about
 * 3 KiB; hostile-xs holds a dozen of them at once, past 64 KiB.
 * One lock around each call: every CPU allocates.
 */
#include <pvkit/port.h>

#include "guest.h"

#define HEAP_SIZE	(256 * 1024)
#define HEAP_ALIGN	16
#define BLOCK_FREE	0x46524545u	/* "FREE" */
#define BLOCK_USED	0x55534544u	/* "USED" */

struct block {
	size_t size;		/* payload bytes after this header */
	uint32_t magic;
	uint32_t unused;
};

PVK_BUILD_BUG_ON(sizeof(struct block) != HEAP_ALIGN);

static uint8_t arena[HEAP_SIZE] __attribute__((aligned(HEAP_ALIGN)));
static bool heap_ready;
static struct pvk_lock lock = GUEST_LOCK_INIT;

static struct block *first_block(void)
{
	struct block *b = (struct block *)arena;

	if (!heap_ready) {
		b->size = HEAP_SIZE - sizeof(*b);
		b->magic = BLOCK_FREE;
		heap_ready = true;
	}
	return b;
}

static struct block *next_block(struct block *b)
{
	struct block *n = (struct block *)((uint8_t *)(b + 1) + b->size);

	return (uint8_t *)n < arena + HEAP_SIZE ? n : NULL;
}

static void *heap_alloc(size_t size)
{
	for (struct block *b = first_block(); b; b = next_block(b)) {
		if (b->magic != BLOCK_FREE || b->size < size)
			continue;
		/* Split when the rest can hold a header and some payload. */
		if (b->size >= size + sizeof(*b) + HEAP_ALIGN) {
			struct block *rest = (struct block *)((uint8_t *)(b + 1) + size);

			rest->size = b->size - size - sizeof(*rest);
			rest->magic = BLOCK_FREE;
			b->size = size;
		}
		b->magic = BLOCK_USED;
		return b + 1;
	}
	return NULL;
}

void *pvk_port_malloc(size_t size)
{
	void *p;

	size = GUEST_ROUND_UP(size ? size : 1, HEAP_ALIGN);
	pvk_port_lock(&lock);
	p = heap_alloc(size);
	pvk_port_unlock(&lock);
	return p;
}

static void heap_free(void *ptr)
{
	struct block *b = (struct block *)ptr - 1;

	if ((uint8_t *)ptr < arena + sizeof(*b) || (uint8_t *)ptr >= arena + HEAP_SIZE ||
	    (unsigned long)ptr % HEAP_ALIGN || b->magic != BLOCK_USED)
		pvk_port_panic("pvk_port_free: not a live pvk_port_malloc() block");
	b->magic = BLOCK_FREE;

	/* Merge every run of free neighbours (the list is short). */
	for (b = first_block(); b; b = next_block(b)) {
		struct block *n;

		while (b->magic == BLOCK_FREE && (n = next_block(b)) &&
		       n->magic == BLOCK_FREE) {
			b->size += sizeof(*n) + n->size;
			n->magic = 0;
		}
	}
}

void pvk_port_free(void *ptr)
{
	if (!ptr)
		return;
	pvk_port_lock(&lock);
	heap_free(ptr);
	pvk_port_unlock(&lock);
}

size_t guest_heap_free_bytes(void)
{
	size_t bytes = 0;

	pvk_port_lock(&lock);
	for (struct block *b = first_block(); b; b = next_block(b)) {
		if (b->magic == BLOCK_FREE)
			bytes += b->size;
	}
	pvk_port_unlock(&lock);
	return bytes;
}
