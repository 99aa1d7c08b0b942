/*
 * pathcopy - copy-on-write applied to a data structure: a persistent binary
 * search tree.  Pure user space; no kernel counters involved.
 *
 *     pathcopy [VERSIONS]    (default 16)
 *
 * Each update (put key=value) never changes a node.  It copies the nodes on
 * the path from the root down to the node it changes or adds, and the copies
 * point to every other subtree of the old tree unchanged: a new root, a new
 * version, sharing all but one path with the previous one.  Every old root
 * stays a complete, readable tree.  It is the kernel's copy-on-write in
 * miniature: a page table is a tree too, and fork + a write fault
 * (vmspace_fork, cow_fault) copy one page and share the rest.
 *
 * What to look for, one line per version (every fourth one updates a key that
 * is there already, the others mostly add one): "copied" is exactly the
 * length of the path (the keys listed, root first), about log2(nodes);
 * "shared" is everything else.  At the end every version is listed again, unchanged by
 * the updates that came after it, and the nodes allocated are compared with
 * what copying the whole tree for every version would have cost.
 * Exit status 0 when each update copied exactly its path and no old version
 * changed.
 */
#include "demo.h"

#define MAX_VERSIONS 1000
#define MAX_LISTED 16		/* versions listed in full at the end */
#define MAX_DEPTH 128

struct node {
	long key, value;
	long serial;		/* allocation order: nodes older than an update are shared */
	const struct node *left, *right;
};

struct version {
	const struct node *root;
	long key, value;	/* the put that made it */
	long nodes;
	uint64_t hash;		/* of its contents, when it was made */
};

static long allocated;

static struct node *copy_node(const struct node *from)
{
	struct node *n = malloc(sizeof *n);

	if (!n) {
		say("pathcopy: out of memory\n");
		exit(1);
	}
	*n = *from;
	n->serial = ++allocated;
	return n;
}

/* The tree t with key set to value: the path to key copied, the rest shared. */
static const struct node *put(const struct node *t, long key, long value)
{
	if (!t)
		return copy_node(&(struct node){ .key = key, .value = value });
	struct node *n = copy_node(t);
	if (key < t->key)
		n->left = put(t->left, key, value);
	else if (key > t->key)
		n->right = put(t->right, key, value);
	else
		n->value = value;
	return n;
}

/* The keys from the root to key, found by searching; returns how many. */
static int path_to(const struct node *t, long key, long *keys)
{
	int len = 0;

	for (; t && len < MAX_DEPTH; t = key < t->key ? t->left : t->right) {
		keys[len++] = t->key;
		if (key == t->key)
			break;
	}
	return len;
}

/* Nodes in t, and how many of them were allocated after serial. */
static long count(const struct node *t, long serial, long *newer)
{
	if (!t)
		return 0;
	*newer += t->serial > serial;
	return 1 + count(t->left, serial, newer) + count(t->right, serial, newer);
}

/* A hash of the contents, in key order: changes if any key or value does. */
static uint64_t hash(const struct node *t, uint64_t h)
{
	if (!t)
		return h;
	h = hash(t->left, h);
	h = (h ^ (uint64_t)t->key) * 0x100000001b3ULL;
	h = (h ^ (uint64_t)t->value) * 0x100000001b3ULL;
	return hash(t->right, h);
}

static void list(const struct node *t, char *out, size_t size)
{
	if (!t)
		return;
	list(t->left, out, size);
	snprintf(out + strlen(out), size - strlen(out), " %ld=%ld", t->key, t->value);
	list(t->right, out, size);
}

/* Make version v from version v-1 and print its line. */
static void update(struct version *ver, int v, long key)
{
	long keys[MAX_DEPTH], newer = 0, before = allocated;
	char path[512] = "";

	ver[v] = (struct version){ put(ver[v - 1].root, key, v), key, v, 0, 0 };
	ver[v].hash = hash(ver[v].root, 0);
	long copied = allocated - before, nodes = count(ver[v].root, before, &newer);
	ver[v].nodes = nodes;
	int len = path_to(ver[v].root, key, keys);
	for (int i = 0; i < len; i++)
		snprintf(path + strlen(path), sizeof path - strlen(path), " %ld", keys[i]);
	say("v%-4d %-6s %4ld=%-4d %5ld %6ld %6ld   %s\n", v, nodes > ver[v - 1].nodes ? "add" : "update", key,
	    v, nodes, copied, nodes - copied, path);
	expect(copied == len && newer == copied,
	       "v%d to copy exactly its path of %d nodes, not %ld", v, len, copied);
}

int main(int argc, char **argv)
{
	static struct version ver[MAX_VERSIONS + 1];
	int versions = size_arg(argc, argv, 16, 1, MAX_VERSIONS, "[VERSIONS]");
	long full_copies = 0;
	uint64_t x = 7;

	say("pathcopy: a persistent binary search tree; each put copies one path\n");
	say("%-5s %-6s %9s %5s %6s %6s    %s\n", "", "put", "key=value", "nodes", "copied", "shared",
	    "path copied, root first");
	for (int v = 1; v <= versions; v++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		long key = v == 1 ? versions * 2 :	/* a root in the middle of the keys */
			   v % 4 ? (long)((x >> 33) % (uint64_t)(versions * 4)) : ver[v - 3].key;
		update(ver, v, key);
		full_copies += ver[v].nodes;
	}
	say("every version is still whole:\n");
	for (int v = 1; v <= versions; v++) {
		char contents[1024] = "";
		if (v <= MAX_LISTED) {
			list(ver[v].root, contents, sizeof contents);
			say("v%-4d {%s }\n", v, contents);
		} else if (v == versions) {
			say("(%d more checked, not listed)\n", versions - MAX_LISTED);
		}
		expect(hash(ver[v].root, 0) == ver[v].hash, "v%d unchanged by later updates", v);
	}
	say("nodes allocated for %d versions: %ld; copying the whole tree each time: %ld\n",
	    versions, allocated, full_copies);
	return demo_done();
}
