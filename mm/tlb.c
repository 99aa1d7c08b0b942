/*
 * mm/tlb.c - TLB flushes, local and remote (the shootdown); mm/tlb.h says
 * when each is needed.
 *
 * Local: a range of at most FLUSH_CEILING pages is flushed page by page
 * (INVLPG), a bigger one by reloading CR3 (Linux's
 * tlb_single_page_flush_ceiling, 33).  Either also empties the
 * paging-structure caches, which may hold page tables munmap freed (Intel
 * SDM vol. 3A, 4.10.4.1).  There are no PCIDs, so a CPU caches only the
 * translations of the tables its CR3 holds (active_mm): a CR3 load drops
 * everything else but global (kernel) entries.  Between two processes a
 * CPU keeps the tables it had (lazy TLB, kernel/sched.c) and stays in that
 * space's cpu_mask; an idle CPU loads the kernel's, so cpu_mask is the CPUs
 * running a thread of the space or that ran one last.
 *
 * Remote, the shootdown (Linux: flush_tlb_mm_range -> flush_tlb_multi):
 *   1. the sender has changed the entries and then reads the address
 *      space's cpu_mask (a full fence in between: a CPU that joins later
 *      loads CR3 after the change and cannot cache the old entry);
 *   2. it fills its own request slot (requests[me]: what to flush, and
 *      `pending`, the CPUs it waits for), sets its bit in each target's
 *      `senders` word and sends each target one T_TLB_SHOOTDOWN interrupt;
 *   3. each target, in tlb_shootdown_interrupt(), takes its senders word,
 *      flushes what each request says if that space is the one its CR3
 *      holds, and clears its bit in the request's `pending`;
 *   4. the sender spins until `pending` is empty, answering requests sent
 *      to itself meanwhile (tlb_poll), and only then returns: the caller
 *      may free the frames.
 * Spin locks here keep interrupts off (kernel/spinlock.h), so a CPU that
 * waits for a lock cannot take the interrupt: spin_lock's loop calls
 * tlb_poll() too.  Hence no CPU can wait forever for another that waits for
 * it: every waiting loop answers shootdowns.
 */
#include "mm/tlb.h"
#include "kernel/spinlock.h"
#include "kernel/x86/apic.h"
#include "kernel/x86/cpu.h"
#include "kernel/x86/trap.h"
#include "kernel/x86/x86.h"
#include "mm/frame.h"
#include "mm/layout.h"
#include "mm/vm.h"
#include "mm/vmspace.h"
#include "mm/vmstat.h"

#define FLUSH_CEILING 33

struct flush_request {
	struct vmspace *vm;	/* whose entries; NULL: the kernel's (global) */
	uint64_t start, end;	/* page-aligned bytes; start == end: everything */
	bool leave;		/* the space is being freed: stop using its tables */
	uint64_t pending;	/* CPUs that have not answered yet (atomic) */
};

static struct flush_request requests[NCPU];	/* requests[s]: CPU s's */
static uint64_t senders[NCPU];			/* senders[t]: bit s = CPU s asks t (atomic) */
static struct vmspace *active_mm[NCPU];		/* the space whose tables CPU i's CR3 holds */

void local_flush_tlb_page(uint64_t va)
{
	invlpg(va);
	count_vm_event(NR_TLB_LOCAL_FLUSH_ONE);
}

void local_flush_tlb_all(void)
{
	write_cr3(read_cr3());
	count_vm_event(NR_TLB_LOCAL_FLUSH_ALL);
}

/* Flush [start, end) here (everything when start == end).  Global (kernel)
 * entries survive a CR3 reload, so a kernel range goes page by page. */
static void local_flush_tlb_range(uint64_t start, uint64_t end, bool kernel)
{
	if (!kernel && (start == end || (end - start) / PAGE_SIZE > FLUSH_CEILING)) {
		local_flush_tlb_all();
		return;
	}
	for (uint64_t va = start; va < end; va += PAGE_SIZE)
		local_flush_tlb_page(va);
}

/* Load NEXT's tables (the kernel's for NULL) and move this CPU's bit from the
 * old space's cpu_mask to NEXT's: set before the CR3 load, cleared after, so
 * that a shootdown never misses a CPU that may cache the space. */
static void load_mm(struct vmspace *next)
{
	int me = cpu_id();
	struct vmspace *prev = active_mm[me];

	if (next)
		__atomic_or_fetch(&next->cpu_mask, 1UL << me, __ATOMIC_SEQ_CST);
	pagetable_activate(next ? next->pml4 : kernel_pml4);
	active_mm[me] = next;
	if (prev)
		__atomic_and_fetch(&prev->cpu_mask, ~(1UL << me), __ATOMIC_SEQ_CST);
}

void switch_mm(struct vmspace *next)
{
	push_off();
	if (active_mm[cpu_id()] != next)
		load_mm(next);
	pop_off();
}

/* Carry out request R on this CPU. */
static void do_flush(const struct flush_request *r)
{
	struct vmspace *mine = active_mm[cpu_id()];

	if (r->leave && mine == r->vm)
		load_mm(NULL);
	else if (!r->vm)
		local_flush_tlb_range(r->start, r->end, true);
	else if (!r->leave && mine == r->vm)
		local_flush_tlb_range(r->start, r->end, false);
}

/* Answer every request sent to this CPU.  Interrupts are off. */
static void answer_requests(void)
{
	int me = cpu_id();
	uint64_t from = __atomic_exchange_n(&senders[me], 0, __ATOMIC_ACQ_REL);

	while (from) {
		int s = __builtin_ctzl(from);
		from &= from - 1;
		do_flush(&requests[s]);
		count_vm_event(NR_TLB_REMOTE_FLUSH_RECEIVED);
		__atomic_and_fetch(&requests[s].pending, ~(1UL << me), __ATOMIC_RELEASE);
	}
}

void tlb_poll(void)
{
	if (__atomic_load_n(&senders[cpu_id()], __ATOMIC_ACQUIRE))
		answer_requests();
}

void tlb_shootdown_interrupt(void)
{
	answer_requests();
}

/* Steps 1-4 of the shootdown for entries of VM (NULL: the kernel's), to
 * every CPU in TARGETS but this one. */
static void shootdown(struct vmspace *vm, uint64_t start, uint64_t end, bool leave)
{
	int me = cpu_id();	/* a task moves to another CPU only when it sleeps */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* the entries' change, then the mask */
	uint64_t targets = (vm ? __atomic_load_n(&vm->cpu_mask, __ATOMIC_SEQ_CST) :
				 cpu_online_mask()) & ~(1UL << me);
	if (!targets)
		return;		/* the common case with one thread: nothing to send */
	struct flush_request *r = &requests[me];
	push_off();		/* the wait answers requests itself (tlb_poll) */
	*r = (struct flush_request){ .vm = vm, .start = start, .end = end, .leave = leave };
	__atomic_store_n(&r->pending, targets, __ATOMIC_SEQ_CST);
	for (uint64_t t = targets; t; t &= t - 1) {
		int cpu = __builtin_ctzl(t);
		__atomic_or_fetch(&senders[cpu], 1UL << me, __ATOMIC_SEQ_CST);
		apic_send_ipi(cpu, T_TLB_SHOOTDOWN);
	}
	count_vm_event(NR_TLB_REMOTE_FLUSH);
	while (__atomic_load_n(&r->pending, __ATOMIC_ACQUIRE)) {
		tlb_poll();
		pause();
	}
	pop_off();
}

void flush_tlb_range(struct vmspace *vm, uint64_t start, uint64_t end)
{
	if (active_mm[cpu_id()] == vm)
		local_flush_tlb_range(start, end, false);
	shootdown(vm, start, end, false);
}

void flush_tlb_mm(struct vmspace *vm)
{
	flush_tlb_range(vm, 0, 0);
}

bool tlb_mm_elsewhere(struct vmspace *vm)
{
	return __atomic_load_n(&vm->cpu_mask, __ATOMIC_RELAXED) & ~(1UL << cpu_id());
}

/*
 * A CPU may hold the old PD entry in its paging-structure caches and walk
 * the old table through it, which its other sharer may change later.  One
 * INVLPG empties all paging-structure caches (Intel SDM vol. 3A, 4.10.4.1),
 * and this CPU's TLB entries for the 2 MiB may stay: they map the frames
 * the copy maps, read-only (the old PD entry was), and each has its
 * accessed flag in the copy (a CPU caches only translations whose flag is
 * set, SDM 4.10.2.3, and this CPU, in the kernel from the copy to here, set
 * none since), so cow_replace still flushes the ones it replaces.  A
 * full flush here would empty the whole TLB at every first write under a
 * shared table.  Other CPUs may run VM's threads and set accessed flags in
 * the old table meanwhile: they flush the whole 2 MiB.  With MKOLD the
 * copy's entries say "not accessed", so no CPU may keep a translation of
 * the 2 MiB: this one flushes it all too.
 */
void flush_tlb_pgtable(struct vmspace *vm, uint64_t va, bool mkold)
{
	uint64_t base = ALIGN_DOWN(va, HUGE_2M);

	if (mkold) {
		flush_tlb_range(vm, base, base + HUGE_2M);
		return;
	}
	if (active_mm[cpu_id()] == vm)
		local_flush_tlb_page(va);
	shootdown(vm, base, base + HUGE_2M, false);
}

void flush_tlb_kernel_range(uint64_t start, uint64_t end)
{
	local_flush_tlb_range(start, end, true);
	shootdown(NULL, start, end, false);
}

void tlb_release_mm(struct vmspace *vm)
{
	push_off();
	if (active_mm[cpu_id()] == vm)
		load_mm(NULL);
	pop_off();
	shootdown(vm, 0, 0, true);
}

void tlb_gather_mmu(struct mmu_gather *tlb, struct vmspace *vm)
{
	*tlb = (struct mmu_gather){ .vm = vm, .start = UINT64_MAX };
}

void tlb_remove_page(struct mmu_gather *tlb, uint64_t va, uint64_t pa)
{
	tlb->start = MIN(tlb->start, va);
	tlb->end = MAX(tlb->end, va + PAGE_SIZE);
	frame_put_deferred(pa, &tlb->pending);
}

void tlb_finish_mmu(struct mmu_gather *tlb)
{
	if (tlb->start < tlb->end)
		flush_tlb_range(tlb->vm, tlb->start, tlb->end);
	frame_free_deferred(tlb->pending);
	tlb->pending = 0;
}
