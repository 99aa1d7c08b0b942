/*
 * kernel/stop_machine.c - parking the other CPUs; kernel/stop_machine.h
 * says what it promises.
 *
 * The stopping CPU takes `owner` (a compare-and-swap from -1 to its id),
 * asks every other CPU to reschedule, and waits until `parked` counts all of
 * them.  Each other CPU, once in its scheduler loop, sees `owner` set, adds
 * itself to `parked` and spins until `owner` is -1 again.  A CPU that wants
 * to stop the machine while another one is doing it parks in the same way
 * while it waits for its turn, so two stoppers cannot wait for each other.
 * Every waiting loop answers TLB shootdowns (tlb_poll, mm/tlb.c): a CPU on
 * its way to a safe point may need one answered to get there.
 */
#include "kernel/stop_machine.h"
#include "kernel/spinlock.h"
#include "kernel/x86/apic.h"
#include "kernel/x86/cpu.h"
#include "kernel/x86/trap.h"
#include "kernel/x86/x86.h"
#include "mm/tlb.h"

static int owner = -1;		/* the stopping CPU, or -1 (atomic) */
static int parked;		/* CPUs parked for it (atomic) */

static bool stop_pending(void)
{
	return __atomic_load_n(&owner, __ATOMIC_ACQUIRE) >= 0;
}

/* Count this CPU as parked until the stop that is under way is over. */
static void park(void)
{
	__atomic_add_fetch(&parked, 1, __ATOMIC_ACQ_REL);
	while (stop_pending()) {
		tlb_poll();
		pause();
	}
	__atomic_sub_fetch(&parked, 1, __ATOMIC_ACQ_REL);
}

void stop_machine_park(void)
{
	push_off();
	if (stop_pending())
		park();
	pop_off();
}

/* Become the stopping CPU, parking for whoever stops the machine first. */
static void take_ownership(int me)
{
	int none = -1;

	while (!__atomic_compare_exchange_n(&owner, &none, me, false, __ATOMIC_ACQ_REL,
					    __ATOMIC_ACQUIRE)) {
		none = -1;
		park();
	}
}

long stop_machine(long (*fn)(void *arg), void *arg)
{
	push_off();
	int me = cpu_id();
	take_ownership(me);
	for (int i = 0; i < ncpu; i++) {
		if (i == me)
			continue;
		cpus[i].need_resched = true;
		apic_send_ipi(i, T_RESCHEDULE);
	}
	while (__atomic_load_n(&parked, __ATOMIC_ACQUIRE) < ncpu - 1) {
		tlb_poll();
		pause();
	}
	pop_off();
	long ret = fn(arg);
	__atomic_store_n(&owner, -1, __ATOMIC_RELEASE);
	return ret;
}
