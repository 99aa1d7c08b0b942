/*
 * mm/rbtree.c - red-black tree balancing (mm/rbtree.h), after CLRS ch. 13
 * with NULL standing for the black leaves.  The left and right cases of each
 * algorithm are one piece of code with a direction D and its mirror !D.
 */
#include "mm/rbtree.h"

static bool is_red(const struct rb_node *n)
{
	return n && n->red;
}

/* Put NEW where OLD hangs below OLD's parent (or at the root). */
static void replace_child(struct rb_root *root, struct rb_node *old, struct rb_node *new)
{
	struct rb_node *p = old->parent;

	if (!p)
		root->node = new;
	else
		p->child[p->child[RB_RIGHT] == old] = new;
	if (new)
		new->parent = p;
}

/* Rotate X down in direction D: its child on the other side takes its place. */
static void rotate(struct rb_root *root, struct rb_node *x, int d)
{
	struct rb_node *y = x->child[!d];

	x->child[!d] = y->child[d];
	if (y->child[d])
		y->child[d]->parent = x;
	replace_child(root, x, y);
	y->child[d] = x;
	x->parent = y;
}

void rb_insert(struct rb_root *root, struct rb_node *n, struct rb_node *parent,
	       struct rb_node **link)
{
	n->parent = parent;
	n->child[RB_LEFT] = n->child[RB_RIGHT] = NULL;
	n->red = true;
	*link = n;
	/* the only rule a red N can break: a red parent */
	while (is_red(n->parent)) {
		struct rb_node *p = n->parent, *g = p->parent;	/* p red: not the root */
		int d = g->child[RB_RIGHT] == p;		/* p's side below g */
		struct rb_node *uncle = g->child[!d];
		if (is_red(uncle)) {		/* push the redness up */
			p->red = uncle->red = false;
			g->red = true;
			n = g;
			continue;
		}
		if (n == p->child[!d]) {	/* inner grandchild: make it outer */
			rotate(root, p, d);
			n = p;
			p = n->parent;
		}
		p->red = false;
		g->red = true;
		rotate(root, g, !d);
	}
	root->node->red = false;
}

/* X (maybe NULL) below P lost one black on its paths: restore the rule. */
static void erase_fixup(struct rb_root *root, struct rb_node *x, struct rb_node *p)
{
	while (x != root->node && !is_red(x)) {
		int d = p->child[RB_RIGHT] == x;
		struct rb_node *w = p->child[!d];	/* sibling: never NULL here */
		if (w->red) {
			w->red = false;
			p->red = true;
			rotate(root, p, d);
			w = p->child[!d];
		}
		if (!is_red(w->child[RB_LEFT]) && !is_red(w->child[RB_RIGHT])) {
			w->red = true;
			x = p;
			p = x->parent;
			continue;
		}
		if (!is_red(w->child[!d])) {
			w->child[d]->red = false;
			w->red = true;
			rotate(root, w, !d);
			w = p->child[!d];
		}
		w->red = p->red;
		p->red = false;
		w->child[!d]->red = false;
		rotate(root, p, d);
		x = root->node;
	}
	if (x)
		x->red = false;
}

void rb_erase(struct rb_root *root, struct rb_node *n)
{
	struct rb_node *x, *xp;
	bool removed_red = n->red;

	if (!n->child[RB_LEFT] || !n->child[RB_RIGHT]) {
		x = n->child[RB_LEFT] ? n->child[RB_LEFT] : n->child[RB_RIGHT];
		xp = n->parent;
		replace_child(root, n, x);
	} else {
		/* two children: the successor Y takes N's place and colour */
		struct rb_node *y = n->child[RB_RIGHT];
		while (y->child[RB_LEFT])
			y = y->child[RB_LEFT];
		removed_red = y->red;
		x = y->child[RB_RIGHT];
		xp = y;
		if (y->parent != n) {
			xp = y->parent;
			replace_child(root, y, x);
			y->child[RB_RIGHT] = n->child[RB_RIGHT];
			y->child[RB_RIGHT]->parent = y;
		}
		replace_child(root, n, y);
		y->child[RB_LEFT] = n->child[RB_LEFT];
		y->child[RB_LEFT]->parent = y;
		y->red = n->red;
	}
	if (!removed_red)
		erase_fixup(root, x, xp);
}

/* The extreme node of the tree on side DIR (RB_LEFT: smallest). */
static struct rb_node *rb_extreme(const struct rb_root *root, int dir)
{
	struct rb_node *n = root->node;

	while (n && n->child[dir])
		n = n->child[dir];
	return n;
}

/* The neighbour of N on side DIR (RB_RIGHT: the next node in order). */
static struct rb_node *rb_step(const struct rb_node *n, int dir)
{
	if (n->child[dir]) {
		n = n->child[dir];
		while (n->child[!dir])
			n = n->child[!dir];
		return (struct rb_node *)n;
	}
	while (n->parent && n == n->parent->child[dir])
		n = n->parent;
	return n->parent;
}

struct rb_node *rb_first(const struct rb_root *root)
{
	return rb_extreme(root, RB_LEFT);
}

struct rb_node *rb_last(const struct rb_root *root)
{
	return rb_extreme(root, RB_RIGHT);
}

struct rb_node *rb_next(const struct rb_node *n)
{
	return rb_step(n, RB_RIGHT);
}

struct rb_node *rb_prev(const struct rb_node *n)
{
	return rb_step(n, RB_LEFT);
}

static int check_subtree(const struct rb_node *n, const struct rb_node *parent)
{
	if (!n)
		return 1;
	if (n->parent != parent || (n->red && is_red(parent)))
		return -1;
	int l = check_subtree(n->child[RB_LEFT], n), r = check_subtree(n->child[RB_RIGHT], n);
	if (l < 0 || l != r)
		return -1;
	return l + !n->red;
}

int rb_check(const struct rb_root *root)
{
	return is_red(root->node) ? -1 : check_subtree(root->node, NULL);
}
