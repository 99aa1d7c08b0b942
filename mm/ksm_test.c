/*
 * mm/ksm_test.c - self-tests for same-page merging's pieces that can be
 * checked without processes: the red-black tree (mm/rbtree.c) under random
 * inserts and erases, and the validation of the controls (mm/ksm.h).  The
 * scanner itself is tested from user space by user/tests/test_ksm.c.
 */
#include "kernel/errno.h"
#include "kernel/ktest.h"
#include "mm/kvmalloc.h"
#include "mm/ksm.h"
#include "mm/rbtree.h"

#define NKEYS 1000

struct knode {
	struct rb_node node;
	uint32_t key;
};

static uint32_t next_random(uint32_t *state)
{
	*state = *state * 1664525u + 1013904223u;
	return *state >> 8;
}

static void insert_key(struct rb_root *root, struct knode *k)
{
	struct rb_node **link = &root->node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = &parent->child[k->key >= container_of(parent, struct knode, node)->key];
	}
	rb_insert(root, &k->node, parent, link);
}

/* In order, with COUNT nodes, and every red-black rule holds. */
static bool tree_ok(const struct rb_root *root, size_t count)
{
	size_t n = 0;
	uint32_t last = 0;

	for (struct rb_node *p = rb_first(root); p; p = rb_next(p), n++) {
		uint32_t key = container_of(p, struct knode, node)->key;
		if (n && key < last)
			return false;
		last = key;
	}
	return n == count && rb_check(root) >= 0;
}

KTEST(ksm_rbtree)
{
	struct knode *keys = kvmalloc(NKEYS * sizeof(*keys));
	struct rb_root root = { NULL };
	uint32_t rnd = 12345;
	size_t n = NKEYS;
	bool ok = true;

	KCHECK(keys != NULL, "memory for %zu tree nodes", n);
	if (!keys)
		return;
	for (size_t i = 0; i < n; i++) {
		keys[i].key = next_random(&rnd) % 500;	/* with repeats */
		insert_key(&root, &keys[i]);
		ok &= i % 16 || tree_ok(&root, i + 1);
	}
	KCHECK(ok && tree_ok(&root, n), "%zu random inserts keep the order and the rules", n);
	int height = rb_check(&root);
	KCHECK(height > 0 && height <= 12, "black height %d is logarithmic", height);
	for (size_t i = 0, left = n; i < n; i++) {
		size_t j = (i * 7919) % n;	/* every index once, scattered (7919 is a prime not dividing n) */
		rb_erase(&root, &keys[j].node);
		ok &= --left % 8 || tree_ok(&root, left);
	}
	KCHECK(ok && root.node == NULL, "erasing them all in scattered order keeps the rules");
	kvfree(keys);
}

KTEST(ksm_controls)
{
	uint64_t pages = ksm_knob_get(KSM_PAGES_TO_SCAN), zero = ksm_knob_get(KSM_USE_ZERO_PAGES);

	KCHECK(ksm_knob_get(KSM_RUN) == KSM_RUN_STOP && pages == 100 &&
	       ksm_knob_get(KSM_SLEEP_MILLISECS) == 20 && zero == 0,
	       "Linux's defaults: run 0, pages_to_scan 100, sleep_millisecs 20, use_zero_pages 0");
	KCHECK(ksm_knob_set(KSM_RUN, 3) == -EINVAL && ksm_knob_get(KSM_RUN) == KSM_RUN_STOP,
	       "run=3 is -EINVAL and changes nothing");
	KCHECK(ksm_knob_set(KSM_PAGES_TO_SCAN, 1ULL << 32) == -EINVAL &&
	       ksm_knob_get(KSM_PAGES_TO_SCAN) == pages, "pages_to_scan above UINT_MAX is -EINVAL");
	KCHECK(ksm_knob_set(KSM_USE_ZERO_PAGES, 2) == -EINVAL, "use_zero_pages=2 is -EINVAL");
	KCHECK(ksm_knob_set(KSM_PAGES_TO_SCAN, 777) == 0 &&
	       ksm_knob_get(KSM_PAGES_TO_SCAN) == 777, "pages_to_scan=777 is taken");
	ksm_knob_set(KSM_PAGES_TO_SCAN, pages);

	struct ksm_stats s;
	ksm_get_stats(&s);
	KCHECK(s.pages_shared == 0 && s.pages_sharing == 0 && s.pages_unshared == 0,
	       "nothing merged before the scanner ever ran");
}
