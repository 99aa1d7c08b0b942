/*
 * mm/rbtree.h - red-black trees with parent pointers, in the style of
 * Linux's <linux/rbtree.h>: the tree only keeps the shape balanced; the
 * caller embeds a struct rb_node in its own object, does the ordered descent
 * itself (it alone knows the order) and then links the new node where the
 * descent ended.  Erasing needs no comparisons at all, only the node, which
 * is what KSM's unstable tree needs: its keys (page contents) may change
 * after insertion, so a node could not be found again by its key.
 *
 * Rules kept (CLRS ch. 13): the root and the NULL leaves are black, a red
 * node has black children, every path from a node down to a leaf crosses the
 * same number of black nodes.  Hence height <= 2 log2(n + 1).
 */
#pragma once
#include "kernel/lib.h"

enum { RB_LEFT, RB_RIGHT };

struct rb_node {
	struct rb_node *parent;
	struct rb_node *child[2];	/* [RB_LEFT], [RB_RIGHT] */
	bool red;
};

struct rb_root {
	struct rb_node *node;
};

/*
 * Insert N as child LINK of PARENT (LINK is &PARENT->child[...] or
 * &root->node for an empty tree: where the caller's descent ended), then
 * rebalance.  O(log n).
 */
void rb_insert(struct rb_root *root, struct rb_node *n, struct rb_node *parent,
	       struct rb_node **link);
/* Remove N from the tree and rebalance.  O(log n). */
void rb_erase(struct rb_root *root, struct rb_node *n);
/* In-order iteration, O(1) amortised per step: the smallest node and the
 * one after N, or the largest and the one before N (NULL past the end). */
struct rb_node *rb_first(const struct rb_root *root);
struct rb_node *rb_next(const struct rb_node *n);
struct rb_node *rb_last(const struct rb_root *root);
struct rb_node *rb_prev(const struct rb_node *n);
/* Check every rule and parent link: the black height, or -1 if broken (self-tests). */
int rb_check(const struct rb_root *root);
