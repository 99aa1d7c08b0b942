/*
 * mm/region_test.c - self-tests of the region tree (mm/region.c): lookups,
 * splits, removal, the top-down gap search and the max_map_count cap, on a
 * scratch address space that never runs.
 */
#include "kernel/errno.h"
#include "kernel/ktest.h"
#include "mm/layout.h"
#include "mm/vmspace.h"

#define P PAGE_SIZE
#define BASE 0x10000000UL

/* Regions in order, no overlap, map_count and total_pages as the tree says. */
static bool tree_consistent(struct vmspace *vm)
{
	uint64_t n = 0, pages = 0, prev_end = 0;

	for (struct region *r = region_first(vm); r; r = region_next(r)) {
		if (r->start < prev_end || r->end <= r->start)
			return false;
		prev_end = r->end;
		n++;
		pages += (r->end - r->start) / P;
	}
	return n == vm->map_count && pages == vm->total_pages &&
	       rb_check(&vm->regions) >= 0;
}

/* 1000 one-page regions with one-page holes between them, added out of order. */
static void add_spaced(struct vmspace *vm)
{
	for (uint64_t k = 0; k < 1000; k++) {
		uint64_t i = (k * 617) % 1000;	/* 617 is prime to 1000: a permutation */
		struct region r = { .start = BASE + 2 * i * P, .end = BASE + (2 * i + 1) * P,
				    .prot = PROT_READ, .kind = REGION_ANON };
		region_add(vm, &r);
	}
}

KTEST(region_tree_lookup)
{
	struct vmspace *vm = vmspace_new();

	add_spaced(vm);
	KCHECK(vm->map_count == 1000 && tree_consistent(vm),
	       "1000 regions added out of order are in order");
	KCHECK(region_find(vm, BASE + 10 * P + 5) && region_find(vm, BASE + 10 * P)->start ==
	       BASE + 10 * P, "region_find finds the region holding an address");
	KCHECK(!region_find(vm, BASE + 11 * P), "region_find of a hole is NULL");
	KCHECK(region_find_after(vm, BASE + 11 * P)->start == BASE + 12 * P,
	       "region_find_after of a hole is the next region");
	KCHECK(!region_find_after(vm, BASE + 2000 * P), "region_find_after past the last is NULL");
	KCHECK(vm_range_free(vm, BASE + 11 * P, BASE + 12 * P) &&
	       !vm_range_free(vm, BASE + 11 * P, BASE + 12 * P + 1), "vm_range_free");
	vmspace_put(vm);
}

KTEST(region_tree_split_remove)
{
	struct vmspace *vm = vmspace_new();
	struct region big = { .start = BASE, .end = BASE + 8 * P, .prot = PROT_READ,
			      .kind = REGION_ANON };

	region_add(vm, &big);
	KCHECK(region_split(vm, BASE + 3 * P) == 0 && vm->map_count == 2 && tree_consistent(vm),
	       "a split makes two regions and keeps total_pages");
	KCHECK(region_split(vm, BASE + 3 * P) == 0 && vm->map_count == 2,
	       "splitting at a region's start changes nothing");
	region_remove(vm, region_find(vm, BASE));
	KCHECK(vm->map_count == 1 && vm->total_pages == 5 && tree_consistent(vm),
	       "removing the head leaves the tail");
	int saved = sysctl_max_map_count;
	sysctl_max_map_count = 1;
	KCHECK(region_split(vm, BASE + 5 * P) == -ENOMEM && vm->map_count == 1,
	       "a split past max_map_count is -ENOMEM");
	struct region other = { .start = BASE + 20 * P, .end = BASE + 21 * P, .kind = REGION_ANON };
	KCHECK(region_add(vm, &other) == 0 && vm->map_count == 2,
	       "an add at max_map_count is allowed (Linux refuses only above it: it may merge)");
	struct region third = { .start = BASE + 30 * P, .end = BASE + 31 * P, .kind = REGION_ANON };
	KCHECK(region_add(vm, &third) == -ENOMEM, "an add above max_map_count is -ENOMEM");
	sysctl_max_map_count = saved;
	vmspace_put(vm);
}

KTEST(region_gap_search)
{
	struct vmspace *vm = vmspace_new();
	uint64_t a = vm_find_free(vm, 4 * P);

	KCHECK(a == USER_MMAP_TOP - 4 * P, "an empty space places at the top of the mmap area");
	struct region r = { .start = a, .end = a + 4 * P, .kind = REGION_ANON };
	region_add(vm, &r);
	uint64_t b = vm_find_free(vm, P);
	KCHECK(b == a - P, "the next placement goes just below the last one");
	r.start = b, r.end = b + P;
	region_add(vm, &r);
	region_remove(vm, region_find(vm, a));
	KCHECK(vm_find_free(vm, 4 * P) == a, "a freed gap above the last placement is found again");
	KCHECK(vm_find_free(vm, USER_MMAP_TOP) == 0, "a gap larger than the mmap area: none");
	vmspace_put(vm);
}
