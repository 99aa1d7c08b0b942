/*
 * kernel/format.c - vsnprintf for printk and the pseudo files.
 * Supports %d %i %u %x %X %p %s %c %%, the flags '-' and '0', a width, and
 * the length modifiers l, ll and z.  Always NUL-terminates; returns the
 * length the whole output would have had.
 */
#include "kernel/lib.h"

struct out {
	char *buf;
	size_t size;
	size_t len;
};

struct spec {
	bool left, zero;
	int width;
	int longness;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_padded(struct out *o, const char *s, size_t n, const struct spec *sp)
{
	int pad = sp->width > (int)n ? sp->width - (int)n : 0;
	char padc = sp->zero && !sp->left ? '0' : ' ';

	if (padc == '0' && n && (*s == '-')) {
		put(o, *s++);
		n--;
	}
	if (!sp->left)
		while (pad--)
			put(o, padc);
	while (n--)
		put(o, *s++);
	if (sp->left)
		while (pad-- > 0)
			put(o, ' ');
}

static void put_number(struct out *o, uint64_t v, bool negative, unsigned base,
		       bool upper, const struct spec *sp)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int i = sizeof(tmp);

	do {
		tmp[--i] = digits[v % base];
		v /= base;
	} while (v);
	if (negative)
		tmp[--i] = '-';
	put_padded(o, tmp + i, sizeof(tmp) - i, sp);
}

static uint64_t take_unsigned(va_list *ap, int longness)
{
	if (longness == 0)
		return va_arg(*ap, unsigned int);
	return va_arg(*ap, unsigned long);
}

static void format_one(struct out *o, char conv, struct spec *sp, va_list *ap)
{
	switch (conv) {
	case 'd':
	case 'i': {
		int64_t v = sp->longness ? va_arg(*ap, long) : va_arg(*ap, int);
		put_number(o, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, 10, false, sp);
		break;
	}
	case 'u':
		put_number(o, take_unsigned(ap, sp->longness), false, 10, false, sp);
		break;
	case 'x':
	case 'X':
		put_number(o, take_unsigned(ap, sp->longness), false, 16, conv == 'X', sp);
		break;
	case 'p':
		put(o, '0');
		put(o, 'x');
		put_number(o, (uint64_t)va_arg(*ap, void *), false, 16, false, sp);
		break;
	case 's': {
		const char *s = va_arg(*ap, const char *);
		if (!s)
			s = "(null)";
		put_padded(o, s, strlen(s), sp);
		break;
	}
	case 'c': {
		char c = (char)va_arg(*ap, int);
		put_padded(o, &c, 1, sp);
		break;
	}
	default:
		put(o, '%');
		put(o, conv);
	}
}

static const char *parse_spec(const char *f, struct spec *sp)
{
	*sp = (struct spec){ 0 };
	for (;; f++) {
		if (*f == '-')
			sp->left = true;
		else if (*f == '0')
			sp->zero = true;
		else
			break;
	}
	while (*f >= '0' && *f <= '9')
		sp->width = sp->width * 10 + (*f++ - '0');
	while (*f == 'l' || *f == 'z') {
		sp->longness++;
		f++;
	}
	return f;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	va_list args;

	va_copy(args, ap);
	for (const char *f = fmt; *f; f++) {
		if (*f != '%') {
			put(&o, *f);
			continue;
		}
		if (f[1] == '%') {
			put(&o, '%');
			f++;
			continue;
		}
		struct spec sp;
		f = parse_spec(f + 1, &sp);
		if (!*f)
			break;
		format_one(&o, *f, &sp, &args);
	}
	va_end(args);
	if (size)
		buf[MIN(o.len, size - 1)] = 0;
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
