/*
 * mm/fault.h - the page-fault handler: the one place that decides what a page
 * fault means.
 */
#pragma once

struct trapframe;

void page_fault(struct trapframe *tf);
