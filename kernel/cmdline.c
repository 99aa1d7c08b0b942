/*
 * kernel/cmdline.c - looking things up in the kernel command line.
 * The line is kept as GRUB gave it; lookups scan it, which is cheap and keeps
 * no second copy to get out of date.
 */
#include "kernel/cmdline.h"
#include "kernel/printk.h"

static const char *line = "";

/* Where the word for KEY starts, or NULL.  Words after init= belong to init. */
static const char *find_word(const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = line; *p;) {
		while (*p == ' ')
			p++;
		const char *w = p;
		while (*p && *p != ' ')
			p++;
		if ((size_t)(p - w) >= klen && !strncmp(w, key, klen) &&
		    (w[klen] == '=' || w + klen == p))
			return w;
		if (!strncmp(w, "init=", 5))
			return NULL;
	}
	return NULL;
}

bool cmdline_has(const char *key)
{
	return find_word(key) != NULL;
}

const char *cmdline_value(const char *key, size_t *len)
{
	const char *w = find_word(key);
	size_t klen = strlen(key);

	if (!w || w[klen] != '=')
		return NULL;
	const char *v = w + klen + 1;
	if (!strcmp(key, "init"))
		*len = strlen(v);
	else
		*len = (size_t)(strchr(v, ' ') ? strchr(v, ' ') - v : (long)strlen(v));
	return v;
}

bool cmdline_bool(const char *key, bool def)
{
	size_t len;
	const char *v = cmdline_value(key, &len);

	if (!v)
		return def;
	if (len == 1 && (*v == '0' || *v == '1'))
		return *v == '1';
	pr_warn("cmdline: %s= wants 0 or 1; using %d\n", key, def);
	return def;
}

void cmdline_init(const char *text)
{
	size_t len;
	const char *level;

	line = text ? text : "";
	level = cmdline_value("log", &len);
	if (level && !printk_set_level(level, len))
		pr_warn("cmdline: unknown log level; use debug, info, warn or error\n");
}
