/*
 * mm/ksm.c - same-page merging, after Linux's mm/ksm.c ("Kernel Samepage
 * Merging").
 *
 * Programs mark memory with madvise(MADV_MERGEABLE).  Only private anonymous
 * memory can be marked (set_mergeable, mm/vmspace.c: a file mapping or
 * MAP_SHARED memory accepts the advice and stays unmarked, as on Linux), and
 * only FRAME_USER frames are ever merged, so a page-cache frame never merges
 * with an anonymous page.  A kernel thread, ksmd,
 * walks the mergeable regions of every process, pages_to_scan pages per
 * round, sleeping sleep_millisecs between rounds, and maps pages with equal
 * contents to one frame.  That frame (FRAME_KSM) is mapped read-only with
 * PTE_COW everywhere, so a write to it takes the ordinary copy-on-write path
 * (cow_fault in mm/fault.c), which counts cow_ksm and gives the writer its
 * own copy again.  Nothing needs to be known in advance about which pages
 * are equal: the scanner finds out by comparing contents, in two trees.
 * The thread is created by the first run=1; while run != 1, or after a pass
 * that met no mergeable region at all, it sleeps with no deadline until a
 * control is written or madvise(MADV_MERGEABLE) wakes it (ksm_enter).
 *
 * The stable tree holds the merged frames, ordered by content (a memcmp-like
 * comparison of the whole page: page_cmp).  Their contents cannot change -
 * every mapping is read-only - so the tree stays correctly ordered, and a
 * page is found equal to a merged one in O(log n) comparisons.
 *
 * The unstable tree holds candidates: pages seen in this pass that match
 * nothing yet, also ordered by content.  They are still writable, so the
 * tree is only roughly ordered: a page written after it was inserted sits in
 * the wrong place, and searches may miss a match.  Two things keep that
 * harmless.  First, a page goes into the unstable tree only when its checksum
 * (page_checksum) did not change since the scanner's previous visit:
 * "volatile" pages that are being rewritten are skipped (pages_volatile), so
 * the tree mostly holds pages that stay still.  Second, the tree is thrown
 * away and rebuilt from scratch at the end of every full pass (full_scans),
 * so a wrong order never outlives a pass.  A node whose page went away (the
 * process exited, the range was unmapped) is erased when a search meets it.
 *
 * One page, scan_page() (Linux's cmp_and_merge_page):
 *   1. already merged (a FRAME_KSM or the zero frame), or not an ordinary
 *      private page: nothing to do;
 *   2. equal to a stable frame: merge with it;
 *   3. checksum changed since the last visit: volatile, skip it this pass;
 *   4. all zeros and use_zero_pages=1: merge with the zero frame;
 *   5. equal to a page in the unstable tree: merge the two into a new stable
 *      frame (the tree page's own frame when nobody else maps it) and take
 *      the tree page out of the unstable tree; otherwise insert this page.
 *
 * Merging (merge_into, merge_pair) first write-protects every entry involved
 * (W off, PTE_COW on) and invalidates the TLB entry, then compares the
 * contents AGAIN, and only then points the entry at the shared frame
 * (frame_get) and drops its old frame (frame_put).  The first comparison
 * was made on writable pages: without the protection, a write between the
 * comparison and the remap would be lost, silently replaced by the other
 * page's contents.  After the protection, a write can only fault and copy.
 * Other threads of the process may be writing on other CPUs meanwhile:
 * the write-protection is flushed from every CPU that may cache the space
 * (flush_tlb_range, a shootdown) before the second comparison.
 *
 * Per page the scanner keeps an rmap_item (Linux's name): process, address,
 * last checksum, and its unstable-tree node, in a hash table keyed by (pid,
 * address).  Items of pages that merge are freed; items not visited during
 * a whole pass (page unmapped, process gone, region no longer mergeable) are
 * swept at its end.
 *
 * Frame lifetime: the stable tree holds no reference of its own; a merged
 * frame's reference count is exactly its number of page-table entries (a
 * page table that fork shared, mm/ptshare.c, counted once).  When the last
 * one goes (munmap, exit, exec, MADV_DONTNEED), frame_put calls
 * ksm_frame_freed() and the node leaves the tree before the frame is freed.
 * When the last user writes to it, cow_fault calls ksm_try_release(): the
 * frame leaves the tree and is reused in place.  fork shares merged frames
 * like any other copy-on-write page (one more reference, one more sharer),
 * or with the page table that maps it (no reference more).
 *
 * Statistics, with Linux's meanings: pages_shared = stable frames in use;
 * pages_sharing = their mappings beyond the first of each (the pages saved),
 * both computed from the reference counts when read (plus the other
 * sharers of shared page tables: pt_for_each_shared_entry), so fork, exit
 * and munmap need no bookkeeping here; pages_unshared and pages_volatile = items
 * whose last visit put them in the unstable tree / found them changed.
 * /proc/vmstat's ksm_merge counts the page-table entries the scanner pointed
 * at a merged frame or the zero frame.  Zero-page merges are not counted in
 * pages_sharing (Linux counts them apart): such an entry is
 * indistinguishable from untouched memory, so run=2 and MADV_UNMERGEABLE
 * leave it alone too.
 *
 * Locking (docs/smp.md has the whole order):
 *   ksm_scan_sem  (sleeping, used as a mutex) the scanner's own state: the
 *                 unstable tree, the rmap items, the cursor.  ksmd holds it
 *                 for a round, dropping it to yield; run=2 holds it to
 *                 unmerge everything.
 *   mmap_lock     of the space being scanned, for reading, while its tables
 *                 are walked; a second space (the unstable tree's match) is
 *                 only ever try-locked, so the scanner never waits for one
 *                 space while holding another.
 *   page_table_lock  of each space whose entry a merge changes; only the
 *                 scanner ever holds two (its own thread: no ABBA possible).
 *   ksm_lock      (spin) the stable tree and the FRAME_KSM mark; taken
 *                 inside page_table_lock, and by frame_put's last
 *                 reference (ksm_frame_freed) from anywhere.
 * A merged frame is found in the stable tree without holding a reference;
 * the scanner takes one with frame_get_unless_zero (a compare-and-swap
 * loop) under ksm_lock, so a frame whose last mapping is going away at that
 * very moment is skipped instead of resurrected.  Between pages the
 * scanner's whole position is (pid, address) in `cursor`; every use finds
 * the process again by pid, pins its space (vmspace_get) and walks its
 * tables again, so a process may exit, exec or unmap at any time between
 * two pages.
 */
#include "mm/ksm.h"
#include "kernel/x86/cpu.h"
#include "kernel/errno.h"
#include "kernel/panic.h"
#include "kernel/proc.h"
#include "kernel/rwsem.h"
#include "kernel/sched.h"
#include "kernel/x86/time.h"
#include "mm/fault.h"
#include "mm/frame.h"
#include "mm/heap.h"
#include "mm/layout.h"
#include "mm/rbtree.h"
#include "mm/ptshare.h"
#include "mm/tlb.h"
#include "mm/vm.h"
#include "mm/vmspace.h"
#include "mm/vmstat.h"

/* ---- controls (/sys/kernel/mm/ksm), Linux's defaults ---- */

static uint64_t knob[NR_KSM_KNOBS] = {
	[KSM_RUN] = KSM_RUN_STOP,
	[KSM_PAGES_TO_SCAN] = 100,
	[KSM_SLEEP_MILLISECS] = 20,
	[KSM_USE_ZERO_PAGES] = 0,
};

static const uint64_t knob_max[NR_KSM_KNOBS] = {
	[KSM_RUN] = KSM_RUN_UNMERGE,
	[KSM_PAGES_TO_SCAN] = UINT32_MAX,
	[KSM_SLEEP_MILLISECS] = UINT32_MAX,
	[KSM_USE_ZERO_PAGES] = 1,
};

static bool ksmd_started;
static struct rwsem ksm_scan_sem = RWSEM_INIT("ksm_scan_sem");
static struct spinlock ksm_lock = SPINLOCK_INIT("ksm_lock");

/* ---- page contents ---- */

#define PAGE_WORDS (PAGE_SIZE / sizeof(uint64_t))

static const uint64_t *words(uint64_t pa)
{
	return phys_to_virt(pa);
}

/* A total order on page contents (a word-wise memcmp; any fixed order works). */
static int page_cmp(uint64_t a, uint64_t b)
{
	const uint64_t *x = words(a), *y = words(b);

	for (size_t i = 0; i < PAGE_WORDS; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

/* Detects change between two visits; equality is always decided by page_cmp. */
static uint32_t page_checksum(uint64_t pa)
{
	const uint64_t *w = words(pa);
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < PAGE_WORDS; i++)
		h = (h ^ w[i]) * 0x9e3779b97f4a7c15ULL;
	return (uint32_t)(h ^ (h >> 32));
}

static bool page_is_zero(uint64_t pa)
{
	const uint64_t *w = words(pa);

	for (size_t i = 0; i < PAGE_WORDS; i++)
		if (w[i])
			return false;
	return true;
}

/* ---- finding pages again: processes by pid, pages by address ---- */

/* One mapping, found by walking the page tables of VM just now (its
 * mmap_lock held).  Valid only while that lock is held. */
struct page_ref {
	struct vmspace *vm;
	pte_t *pte;
	uint64_t va;
	uint64_t pa;
};

/* A live user task with its own address space (a vfork child borrows its
 * parent's: the parent's scan covers it). */
static bool live_user_task(const struct proc *p)
{
	return p->vm && !p->vfork_parent &&
	       (p->state == P_RUNNABLE || p->state == P_RUNNING || p->state == P_SLEEPING);
}

/* P's address space is scanned under P's pid: a live user task, and of the
 * tasks that share its space (threads) the one with the lowest pid, so a
 * space is scanned once per pass.  proc_lock held. */
static bool scannable(const struct proc *p)
{
	if (!live_user_task(p))
		return false;
	for (const struct proc *q = proc_table; q < proc_table + NPROC; q++)
		if (q->vm == p->vm && q->pid < p->pid && live_user_task(q))
			return false;
	return true;
}

/* The address space of process PID, pinned (vmspace_unpin when done), or NULL. */
static struct vmspace *vm_get_of_pid(int pid)
{
	spin_lock(&proc_lock);
	struct proc *p = proc_find(pid);
	struct vmspace *vm = p && scannable(p) ? p->vm : NULL;
	if (vm)
		vmspace_pin(vm);
	spin_unlock(&proc_lock);
	return vm;
}

/* Page VA of VM (mmap_lock held), if it is still a mergeable, ordinary
 * private page. */
static bool page_lookup(struct vmspace *vm, uint64_t va, struct page_ref *ref)
{
	struct region *r = region_find(vm, va);

	if (!r || !r->mergeable)
		return false;
	pte_t *pte = walk(vm->pml4, va, false);
	if (!pte || !pte_present(*pte))
		return false;
	*ref = (struct page_ref){ .vm = vm, .pte = pte, .va = va, .pa = pte_addr(*pte) };
	return pa_to_frame(ref->pa)->flags == FRAME_USER;
}

/* Lock the space of REF if it is not HELD (already locked by the caller):
 * a try only.  False when it cannot be had now. */
static bool trylock_other(struct vmspace *vm, struct vmspace *held)
{
	return vm == held || down_read_trylock(&vm->mmap_lock);
}

static void unlock_other(struct vmspace *vm, struct vmspace *held)
{
	if (vm != held)
		up_read(&vm->mmap_lock);
}

/* ---- the stable tree: merged frames, by content ---- */

struct stable_node {
	struct rb_node node;
	uint64_t pa;		/* FRAME_KSM, read-only in every mapping */
};

static struct rb_root stable_tree;
static uint64_t stable_count;

static struct stable_node *stable_entry(struct rb_node *n)
{
	return container_of(n, struct stable_node, node);
}

/* The node whose frame equals the contents of PA, or NULL; then *LINK and
 * *PARENT (if LINK is not NULL) say where such a node would go.  The
 * functions on the stable tree run with ksm_lock held. */
static struct stable_node *stable_search(uint64_t pa, struct rb_node ***link,
					 struct rb_node **parent)
{
	struct rb_node **l = &stable_tree.node, *p = NULL;

	while (*l) {
		int c = page_cmp(pa, stable_entry(*l)->pa);
		if (c == 0)
			return stable_entry(*l);
		p = *l;
		l = &p->child[c > 0];
	}
	if (link)
		*link = l, *parent = p;
	return NULL;
}

/* N->pa becomes a merged frame.  False if its contents are there already. */
static bool stable_insert(struct stable_node *n)
{
	struct rb_node **link, *parent;

	if (stable_search(n->pa, &link, &parent))
		return false;
	rb_insert(&stable_tree, &n->node, parent, link);
	pa_to_frame(n->pa)->flags = FRAME_KSM;
	stable_count++;
	return true;
}

static void stable_remove(uint64_t pa)
{
	struct stable_node *n = stable_search(pa, NULL, NULL);

	if (!n || n->pa != pa)
		panic("ksm: merged frame %lx is not in the stable tree", pa);
	rb_erase(&stable_tree, &n->node);
	stable_count--;
	kfree(n);
}

/* The merged frame equal to page PA, with a reference of ours, or 0: a
 * frame whose last reference is being dropped (count 0, ksm_frame_freed
 * waiting for the lock) is not taken. */
static uint64_t stable_get(uint64_t pa)
{
	spin_lock(&ksm_lock);
	struct stable_node *s = stable_search(pa, NULL, NULL);
	uint64_t kpa = s && frame_get_unless_zero(s->pa) ? s->pa : 0;
	spin_unlock(&ksm_lock);
	return kpa;
}

void ksm_frame_freed(uint64_t pa)
{
	spin_lock(&ksm_lock);
	stable_remove(pa);	/* its contents are still intact: frame_put has not freed it yet */
	spin_unlock(&ksm_lock);
}

bool ksm_try_release(uint64_t pa)
{
	struct frame *f = pa_to_frame(pa);

	spin_lock(&ksm_lock);
	bool last = (f->flags & FRAME_KSM) && frame_refcount(pa) == 1;
	if (last) {
		stable_remove(pa);
		f->flags = FRAME_USER;
	}
	spin_unlock(&ksm_lock);
	return last;
}

void ksm_for_each_stable(void (*fn)(uint64_t pa, void *arg), void *arg)
{
	spin_lock(&ksm_lock);
	for (struct rb_node *n = rb_first(&stable_tree); n; n = rb_next(n))
		fn(stable_entry(n)->pa, arg);
	spin_unlock(&ksm_lock);
}

/* ---- rmap items: what the scanner remembers about each page ---- */

enum item_state {
	ITEM_NONE,	/* nothing to report (new, or a merge failed) */
	ITEM_VOLATILE,	/* changed since the previous visit: skipped */
	ITEM_UNSTABLE,	/* put in the unstable tree at its last visit */
	NR_ITEM_STATES,
};

struct rmap_item {
	struct rb_node node;		/* unstable tree link */
	struct rmap_item *hash_next;
	uint64_t va;
	int pid;
	uint32_t checksum;		/* at the last visit */
	uint32_t seen_pass;		/* the pass of the last visit */
	uint8_t state;			/* enum item_state */
};

#define ITEM_HASH_BITS 13
static struct rmap_item *item_hash[1 << ITEM_HASH_BITS];
static uint64_t items_in[NR_ITEM_STATES];
static struct rb_root unstable_tree;
static uint32_t pass = 1;		/* number of the current pass: full_scans + 1 */
static uint64_t full_scans;

static struct rmap_item **item_bucket(int pid, uint64_t va)
{
	uint64_t h = ((va >> PAGE_SHIFT) ^ ((uint64_t)pid << 36)) * 0x9e3779b97f4a7c15ULL;

	return &item_hash[h >> (64 - ITEM_HASH_BITS)];
}

static void set_state(struct rmap_item *it, enum item_state s)
{
	items_in[it->state]--;
	items_in[s]++;
	it->state = (uint8_t)s;
}

/* Items enter the unstable tree only during a visit, so "in the tree" is
 * "put there during this pass, and not erased since". */
static bool in_unstable_tree(const struct rmap_item *it)
{
	return it->state == ITEM_UNSTABLE && it->seen_pass == pass;
}

static void unstable_erase(struct rmap_item *it)
{
	rb_erase(&unstable_tree, &it->node);
	set_state(it, ITEM_NONE);
}

/* The item of page VA of PID; with CREATE, a new one if there is none. */
static struct rmap_item *item_find(int pid, uint64_t va, bool create)
{
	struct rmap_item **b = item_bucket(pid, va);

	for (struct rmap_item *it = *b; it; it = it->hash_next)
		if (it->pid == pid && it->va == va)
			return it;
	struct rmap_item *it = create ? kzalloc(sizeof(*it)) : NULL;
	if (it) {
		*it = (struct rmap_item){ .va = va, .pid = pid, .hash_next = *b };
		*b = it;
		items_in[ITEM_NONE]++;
	}
	return it;
}

static void item_free(struct rmap_item *it)
{
	struct rmap_item **link = item_bucket(it->pid, it->va);

	if (in_unstable_tree(it))
		unstable_erase(it);
	while (*link != it)
		link = &(*link)->hash_next;
	*link = it->hash_next;
	items_in[it->state]--;
	kfree(it);
}

static void item_forget(int pid, uint64_t va)
{
	struct rmap_item *it = item_find(pid, va, false);

	if (it)
		item_free(it);
}

/* Free the items KEEP does not want. */
static void items_sweep(bool (*keep)(const struct rmap_item *))
{
	for (size_t i = 0; i < ARRAY_SIZE(item_hash); i++) {
		for (struct rmap_item *it = item_hash[i], *next; it; it = next) {
			next = it->hash_next;
			if (!keep(it))
				item_free(it);
		}
	}
}

/* ---- merging ---- */

/* Does REF's entry still map REF's frame?  With page_table_lock held: a
 * fault of another thread may have changed it since the walk. */
static bool ref_still(const struct page_ref *ref)
{
	return pte_present(*ref->pte) && pte_addr(*ref->pte) == ref->pa;
}

/* REF's entry is about to change: a page table fork shared becomes VM's
 * own first (mm/ptshare.c), and REF's entry is found again in it.  False
 * without memory for the copy, or when the page is gone. */
static bool ref_own_table(struct page_ref *ref)
{
	if (pt_unshare(ref->vm, ref->va) < 0)
		return false;
	ref->pte = walk(ref->vm->pml4, ref->va, false);
	return ref->pte != NULL;
}

/* Make the entry read-only and copy-on-write, so its page cannot change,
 * and flush it from every CPU that may still write through it.  PTE_COW
 * goes on a read-only (or PROT_NONE) entry too: make_stable may keep this
 * very entry on the merged frame, and a later mprotect(PROT_WRITE) only
 * keeps a shared frame read-only when it finds PTE_COW (reprotect_page). */
static void write_protect(struct page_ref *ref)
{
	bool was_writable = *ref->pte & PTE_W;

	*ref->pte = (*ref->pte & ~PTE_W) | PTE_COW;
	if (was_writable)
		flush_tlb_range(ref->vm, ref->va, ref->va + PAGE_SIZE);
}

/* Point REF's entry at frame KPA (read-only, copy-on-write) instead of its
 * own; the entry takes over a reference the caller holds on KPA. */
static void remap(struct page_ref *ref, uint64_t kpa)
{
	*ref->pte = kpa | (*ref->pte & ~(PTE_ADDR_MASK | PTE_W | PTE_D)) | PTE_COW;
	flush_tlb_range(ref->vm, ref->va, ref->va + PAGE_SIZE);
	frame_put(ref->pa);
	ref->pa = kpa;
	count_vm_event(KSM_MERGE);
}

/* Merge REF with KPA, a merged frame or the zero frame, of which the caller
 * holds a reference (kept by the entry on success, dropped otherwise):
 * protect, compare, remap. */
static bool merge_into(struct page_ref *ref, uint64_t kpa)
{
	if (!ref_own_table(ref)) {
		frame_put(kpa);
		return false;
	}
	spin_lock(&ref->vm->page_table_lock);
	bool ok = ref_still(ref);
	if (ok)
		write_protect(ref);
	ok = ok && page_cmp(ref->pa, kpa) == 0;
	if (ok)
		remap(ref, kpa);
	spin_unlock(&ref->vm->page_table_lock);
	if (!ok)
		frame_put(kpa);
	return ok;
}

/* N->pa joins the stable tree.  False if its contents are there already. */
static bool stable_add(struct stable_node *n)
{
	spin_lock(&ksm_lock);
	bool ok = stable_insert(n);
	spin_unlock(&ksm_lock);
	return ok;
}

/*
 * B's page becomes stable node N's frame: B's own frame when B's entry is
 * its only user, else (fork shares it) a copy that B's entry then maps.
 * B's page_table_lock is held.
 */
static bool make_stable(struct stable_node *n, struct page_ref *b)
{
	if (frame_refcount(b->pa) == 1) {
		n->pa = b->pa;
		return stable_add(n);
	}
	if (!(n->pa = frame_alloc(FRAME_USER)))
		return false;
	memcpy(phys_to_virt(n->pa), phys_to_virt(b->pa), PAGE_SIZE);
	if (!stable_add(n)) {
		frame_put(n->pa);
		return false;
	}
	remap(b, n->pa);	/* B's entry keeps the allocation's reference */
	return true;
}

/* Lock the page tables of A's and B's spaces (one lock when they are one). */
static void lock_pair(struct page_ref *a, struct page_ref *b, bool lock)
{
	struct spinlock *la = &a->vm->page_table_lock, *lb = &b->vm->page_table_lock;

	if (lock) {
		spin_lock(la);
		if (lb != la)
			spin_lock_nested(lb);
	} else {
		if (lb != la)
			spin_unlock(lb);
		spin_unlock(la);
	}
}

/* Merge the private pages A and B, with equal contents at the scanner's
 * last look and both spaces' mmap_lock held, into a new stable frame. */
static bool merge_locked_pair(struct page_ref *a, struct page_ref *b)
{
	struct stable_node *n = kmalloc(sizeof(*n));

	if (!n || !ref_own_table(a) || !ref_own_table(b)) {
		kfree(n);
		return false;
	}
	lock_pair(a, b, true);
	bool ok = ref_still(a) && ref_still(b);
	if (ok) {
		write_protect(a);
		write_protect(b);
	}
	ok = ok && page_cmp(a->pa, b->pa) == 0 && make_stable(n, b);
	if (ok) {
		frame_get(n->pa);	/* for A's entry; B's holds it meanwhile */
		remap(a, n->pa);
	}
	lock_pair(a, b, false);
	if (!ok)
		kfree(n);
	return ok;
}

/* Merge page A (of the space being scanned) with the unstable tree's page
 * of item T, in whatever space that is (try-locked). */
static bool merge_pair(struct page_ref *a, const struct rmap_item *t)
{
	struct vmspace *vm = vm_get_of_pid(t->pid);
	struct page_ref b;
	bool ok = false;

	if (vm && trylock_other(vm, a->vm)) {
		ok = page_lookup(vm, t->va, &b) && b.pa != a->pa && merge_locked_pair(a, &b);
		unlock_other(vm, a->vm);
	}
	if (vm)
		vmspace_unpin(vm);
	return ok;
}

/* The frame of the unstable tree's page of item T now (0 when it is gone or
 * its space is busy): looked at under its space's mmap_lock, compared after
 * without it (the merge compares again). */
static uint64_t unstable_page(const struct rmap_item *t, struct vmspace *held)
{
	struct vmspace *vm = vm_get_of_pid(t->pid);
	struct page_ref ref;
	uint64_t pa = 0;

	if (vm && trylock_other(vm, held)) {
		pa = page_lookup(vm, t->va, &ref) ? ref.pa : 0;
		unlock_other(vm, held);
	}
	if (vm)
		vmspace_unpin(vm);
	return pa;
}

/*
 * Search the unstable tree for a page equal to REF's; if there is none,
 * insert IT.  Returns the equal page's item.  A node whose page is gone is
 * erased, and the search starts again.
 */
static struct rmap_item *unstable_search_insert(struct rmap_item *it, const struct page_ref *ref)
{
	struct rb_node **link = &unstable_tree.node, *parent = NULL;

	while (*link) {
		struct rmap_item *t = container_of(*link, struct rmap_item, node);
		uint64_t pa = unstable_page(t, ref->vm);
		if (!pa) {
			unstable_erase(t);
			link = &unstable_tree.node, parent = NULL;
			continue;
		}
		if (pa == ref->pa)
			return NULL;	/* the very same frame (fork): nothing to gain */
		int c = page_cmp(ref->pa, pa);
		if (c == 0)
			return t;
		parent = *link;
		link = &parent->child[c > 0];
	}
	rb_insert(&unstable_tree, &it->node, parent, link);
	set_state(it, ITEM_UNSTABLE);
	return NULL;
}

/* Steps 3-5 of scan_page, for a page with no stable match. */
static void scan_unmerged(int pid, struct page_ref *ref)
{
	struct rmap_item *it = item_find(pid, ref->va, true), *t;

	if (!it)
		return;
	it->seen_pass = pass;
	uint32_t sum = page_checksum(ref->pa);
	if (sum != it->checksum) {
		it->checksum = sum;
		set_state(it, ITEM_VOLATILE);
		return;
	}
	set_state(it, ITEM_NONE);
	if (knob[KSM_USE_ZERO_PAGES] && page_is_zero(ref->pa)) {
		frame_get(zero_frame);
		if (merge_into(ref, zero_frame))
			item_free(it);
		return;
	}
	if ((t = unstable_search_insert(it, ref)) && merge_pair(ref, t)) {
		item_free(t);
		item_free(it);
	}
}

/* One page of a mergeable region (Linux's cmp_and_merge_page). */
static void scan_page(int pid, struct page_ref *ref)
{
	uint64_t kpa;

	if (pa_to_frame(ref->pa)->flags != FRAME_USER) {
		item_forget(pid, ref->va);	/* merged already (or not ours to merge) */
		return;
	}
	if ((kpa = stable_get(ref->pa))) {
		if (merge_into(ref, kpa))
			item_forget(pid, ref->va);
		return;
	}
	scan_unmerged(pid, ref);
}

/* ---- the scan: processes in pid order, each one's regions in address order ---- */

static struct {
	int pid;		/* 0: the pass has not started */
	uint64_t va;		/* next address to look at in that process */
} cursor;

/* Did this pass meet a mergeable region (or did madvise add one)?  A pass
 * without any is not counted, and the thread then sleeps until madvise or a
 * control wakes it, like Linux's ksmd with no mm registered. */
static bool pass_found_regions, idle;

struct scan_walk {
	struct vmspace *vm;
	int pid;
	uint64_t *budget;
	uint64_t next_va;
};

static int scan_pte(pte_t *pte, uint64_t va, void *arg)
{
	struct scan_walk *w = arg;
	struct page_ref ref = { .vm = w->vm, .pte = pte, .va = va, .pa = pte_addr(*pte) };

	/* a walk without page_table_lock may read a page table a copy just
	 * replaced and freed (mm/ptshare.c): what it finds is checked */
	if (ref.pa >> PAGE_SHIFT < nframes)
		scan_page(w->pid, &ref);
	w->next_va = va + PAGE_SIZE;
	return --*w->budget == 0 || this_cpu()->need_resched;
}

/* Scan process PID from cursor.va on.  True when it stopped before the end
 * (budget spent, or time to let others run), with the cursor moved on. */
static bool scan_process(int pid, uint64_t *budget)
{
	struct vmspace *vm = vm_get_of_pid(pid);
	struct scan_walk w = { .vm = vm, .pid = pid, .budget = budget, .next_va = cursor.va };
	bool stopped = false;

	if (!vm)
		return false;
	down_read(&vm->mmap_lock);
	for (struct region *r = region_first(vm); r && !stopped; r = region_next(r)) {
		if (!r->mergeable)
			continue;
		pass_found_regions = true;
		if (r->end <= w.next_va)
			continue;
		stopped = walk_range(vm->pml4, MAX(r->start, w.next_va), r->end, scan_pte, &w);
	}
	up_read(&vm->mmap_lock);
	vmspace_unpin(vm);
	if (stopped)
		cursor.va = w.next_va;
	return stopped;
}

/* The smallest pid above AFTER of a scannable process, or 0. */
static int next_pid(int after)
{
	int best = 0;

	spin_lock(&proc_lock);
	for (struct proc *p = proc_table; p < proc_table + NPROC; p++)
		if (scannable(p) && p->pid > after && (!best || p->pid < best))
			best = p->pid;
	spin_unlock(&proc_lock);
	return best;
}

static bool seen_this_pass(const struct rmap_item *it)
{
	return it->seen_pass == pass;
}

/* A pass is over: forget pages it did not meet, start a new unstable tree. */
static void end_pass(void)
{
	items_sweep(seen_this_pass);
	unstable_tree.node = NULL;
	pass++;
	full_scans += pass_found_regions;
	idle = !pass_found_regions;
	pass_found_regions = false;
}

/* One round: up to pages_to_scan pages from the cursor on.  Like Linux, a
 * round ends early where a pass ends. */
static void scan_round(void)
{
	uint64_t budget = knob[KSM_PAGES_TO_SCAN];

	while (budget && knob[KSM_RUN] == KSM_RUN_MERGE) {
		if (this_cpu()->need_resched) {
			up_write(&ksm_scan_sem);
			yield();	/* safe: between pages only the cursor is kept */
			down_write(&ksm_scan_sem);
			continue;	/* run may have changed meanwhile */
		}
		if (cursor.pid && scan_process(cursor.pid, &budget))
			continue;
		cursor.pid = next_pid(cursor.pid);
		cursor.va = 0;
		if (!cursor.pid) {
			end_pass();
			return;
		}
	}
}

/* ---- the thread ---- */

/* Sleep until run=1; ksm_knob_set wakes us. */
static void wait_for_run(void)
{
	spin_lock(&proc_lock);
	while (knob[KSM_RUN] != KSM_RUN_MERGE)
		sleep_on(knob, &proc_lock);
	spin_unlock(&proc_lock);
}

/* sleep_millisecs between rounds, cut short by any change of a control;
 * with nothing mergeable anywhere, until madvise or a control wakes us. */
static void pause_between_rounds(void)
{
	uint64_t ms = knob[KSM_SLEEP_MILLISECS];

	if (ms == 0 && !idle) {
		yield();
		return;
	}
	spin_lock(&proc_lock);
	if (knob[KSM_RUN] == KSM_RUN_MERGE)
		sleep_until(knob, &proc_lock, idle ? 0 : time_ns() + ms * 1000000);
	spin_unlock(&proc_lock);
	idle = false;
}

void ksm_enter(void)
{
	pass_found_regions = true;	/* the pass under way may have passed it */
	if (idle)
		wakeup(knob);
}

static void ksmd(void *arg)
{
	(void)arg;
	for (;;) {
		wait_for_run();
		down_write(&ksm_scan_sem);
		scan_round();
		up_write(&ksm_scan_sem);
		pause_between_rounds();
	}
}

/* ---- unmerging ---- */

/* If PTE maps a merged frame, give it a private one.  The entry stays
 * read-only and copy-on-write: the first write reuses the private frame. */
static int unshare_pte(pte_t *pte, uint64_t va, void *arg)
{
	uint64_t pa = pte_addr(*pte), copy;

	if (!(pa_to_frame(pa)->flags & FRAME_KSM))
		return 0;
	if (ksm_try_release(pa))
		return 0;	/* the last user keeps the frame itself */
	if (!(copy = frame_alloc(FRAME_USER)))
		return -ENOMEM;
	memcpy(phys_to_virt(copy), phys_to_virt(pa), PAGE_SIZE);
	*pte = copy | (*pte & ~PTE_ADDR_MASK);
	flush_tlb_range(arg, va, va + PAGE_SIZE);
	frame_put(pa);
	return 0;
}

/* A page table fork shared (mm/ptshare.c) that maps a merged frame is made
 * VM's own before unshare_pte changes its entries; the others stay shared. */
static int own_table_if_merged(pte_t *pde, uint64_t va, void *vm)
{
	const pte_t *e = phys_to_virt(pte_addr(*pde));

	if (!(*pde & PDE_TABLE_COW))
		return 0;
	for (int i = 0; i < 512; i++)
		if (pte_present(e[i]) && (pa_to_frame(pte_addr(e[i]))->flags & FRAME_KSM))
			return pt_unshare(vm, va) < 0 ? -ENOMEM : 0;
	return 0;
}

int ksm_unmerge_range(struct vmspace *vm, uint64_t start, uint64_t end)
{
	int err = walk_range_level(vm->pml4, start, end, 2, own_table_if_merged, vm);

	return err ? err : walk_range(vm->pml4, start, end, unshare_pte, vm);
}

static bool keep_none(const struct rmap_item *it)
{
	(void)it;
	return false;
}

/* run=2: every merged page of every process private again, all state gone. */
static int unmerge_all(void)
{
	int err = 0;

	for (int i = 0; i < NPROC && !err; i++) {
		spin_lock(&proc_lock);
		struct vmspace *vm = proc_table[i].state != P_UNUSED ? proc_table[i].vm : NULL;
		if (vm)
			vmspace_pin(vm);
		spin_unlock(&proc_lock);
		if (!vm)
			continue;
		down_write(&vm->mmap_lock);
		err = ksm_unmerge_range(vm, 0, USER_TOP);
		up_write(&vm->mmap_lock);
		vmspace_unpin(vm);
	}
	items_sweep(keep_none);
	unstable_tree.node = NULL;
	pass++;
	cursor.pid = 0;
	return err;
}

/* ---- controls and statistics ---- */

uint64_t ksm_knob_get(enum ksm_knob k)
{
	return k < NR_KSM_KNOBS ? knob[k] : 0;
}

int ksm_knob_set(enum ksm_knob k, uint64_t v)
{
	int err = 0;

	if (k >= NR_KSM_KNOBS || v > knob_max[k])
		return -EINVAL;
	down_write(&ksm_scan_sem);	/* waits for the scanner's round to end */
	if (k == KSM_RUN && v == KSM_RUN_MERGE && !ksmd_started) {
		if (kthread_create("ksmd", ksmd, NULL))
			ksmd_started = true;
		else
			err = -ENOMEM;
	}
	if (!err)
		knob[k] = v;
	if (!err && k == KSM_RUN && v == KSM_RUN_UNMERGE && (err = unmerge_all()))
		knob[k] = KSM_RUN_STOP;	/* as Linux: a failed unmerge stops */
	up_write(&ksm_scan_sem);
	wakeup(knob);		/* start, stop, or re-arm the pause */
	return err;
}

/* A merged frame mapped through a page table that several address spaces
 * share (mm/ptshare.c) has one reference for all of them: count the
 * others' mappings too. */
static void add_ksm_sharers(uint64_t pfn, uint32_t others, void *mappings)
{
	if (pfn < nframes && (frames[pfn].flags & FRAME_KSM))
		*(uint64_t *)mappings += others;
}

void ksm_get_stats(struct ksm_stats *s)
{
	uint64_t mappings = 0;

	pt_for_each_shared_entry(add_ksm_sharers, &mappings);
	spin_lock(&ksm_lock);
	for (struct rb_node *n = rb_first(&stable_tree); n; n = rb_next(n))
		mappings += frame_refcount(stable_entry(n)->pa);
	s->pages_shared = stable_count;
	spin_unlock(&ksm_lock);
	s->pages_sharing = mappings - stable_count;
	s->pages_unshared = items_in[ITEM_UNSTABLE];
	s->pages_volatile = items_in[ITEM_VOLATILE];
	s->full_scans = full_scans;
}
