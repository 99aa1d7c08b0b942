/*
 * mm/heap.h - the kernel heap for small objects (up to one page).
 */
#pragma once
#include <stddef.h>

void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);
