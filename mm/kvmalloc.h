/*
 * mm/kvmalloc.h - kernel buffers larger than a page (up to KVMALLOC_MAX),
 * virtually contiguous, built from single frames.  exec uses one to gather
 * the arguments and environment of the new program.
 */
#pragma once
#include <stddef.h>

#define KVMALLOC_MAX (256UL << 10)

/* A mapped, uninitialised buffer of SIZE bytes, or NULL. */
void *kvmalloc(size_t size);
void kvfree(void *p);
