/*
 * pane_prompt.c: the one-line prompt on the bottom row, for the filter (/)
 * and the optional note of an acknowledgement or resolution. A small line
 * editor over UTF-8: insert at the cursor, Backspace/Delete, Left/Right,
 * Home/End, Ctrl-U is Backspace to the start. Characters that are not
 * printable text (controls, C1, bidi overrides) are refused, so what an
 * operator types is as inert as anything else the console shows.
 */
#include "tui/panes.h"

#include "core/sanitize.h"
#include "tui/keys.h"

#include <stdio.h>
#include <string.h>

void prompt_start(struct prompt *p, const char *label, const char *initial)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->label, sizeof(p->label), "%s", label);
	sanitize_str(p->text, sizeof(p->text), initial ? initial : "", 0);
	p->cursor = (int)strlen(p->text);
}

static size_t encode(int cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static int prev_char(const char *s, int at)
{
	if (at <= 0)
		return 0;
	at--;
	while (at > 0 && ((unsigned char)s[at] & 0xC0) == 0x80)
		at--;
	return at;
}

static int next_char(const char *s, int at)
{
	int len = (int)strlen(s);
	if (at >= len)
		return len;
	at++;
	while (at < len && ((unsigned char)s[at] & 0xC0) == 0x80)
		at++;
	return at;
}

static void cut(struct prompt *p, int from, int to)
{
	int len = (int)strlen(p->text);
	memmove(p->text + from, p->text + to, (size_t)(len - to + 1));
	p->cursor = from;
}

unsigned prompt_key(struct prompt *p, int key)
{
	const unsigned edit = PANE_HANDLED | PANE_REDRAW;
	switch (key) {
	case TK_ENTER: return PANE_HANDLED | PANE_REDRAW | PROMPT_DONE;
	case TK_ESC: return PANE_HANDLED | PANE_REDRAW | PROMPT_CANCEL;
	case TK_BACKSPACE:
		if (p->cursor > 0)
			cut(p, prev_char(p->text, p->cursor), p->cursor);
		return edit;
	case TK_DELETE:
		if (p->text[p->cursor])
			cut(p, p->cursor, next_char(p->text, p->cursor));
		return edit;
	case TK_LEFT: p->cursor = prev_char(p->text, p->cursor); return edit;
	case TK_RIGHT: p->cursor = next_char(p->text, p->cursor); return edit;
	case TK_HOME: p->cursor = 0; return edit;
	case TK_END: p->cursor = (int)strlen(p->text); return edit;
	case 0x15: cut(p, 0, p->cursor); return edit; /* Ctrl-U */
	default: break;
	}
	if (key < 0x20 || key > 0x10FFFF || (key >= 0xD800 && key <= 0xDFFF))
		return PANE_HANDLED; /* named keys and controls do nothing here */
	char ch[4];
	size_t n = encode(key, ch);
	if (!sanitize_is_clean(ch, n, 0))
		return PANE_HANDLED;
	size_t len = strlen(p->text);
	if (len + n + 1 > sizeof(p->text))
		return PANE_HANDLED;
	memmove(p->text + p->cursor + n, p->text + p->cursor, len - (size_t)p->cursor + 1);
	memcpy(p->text + p->cursor, ch, n);
	p->cursor += (int)n;
	return edit;
}

void prompt_draw(const struct prompt *p, struct surface *surf, int row)
{
	surf_fill(surf, row, 0, -1, ROLE_NORMAL, 0);
	int x = surf_put(surf, row, 0, -1, p->label, ROLE_KEY, SA_BOLD);
	x += surf_put(surf, row, x, -1, " ", ROLE_NORMAL, 0);
	/* Keep the cursor on screen: show the tail when the text is too long. */
	int room = surf->cols - x - 1;
	char before[PROMPT_MAX];
	memcpy(before, p->text, (size_t)p->cursor);
	before[p->cursor] = '\0';
	const char *shown = before;
	while (surf_text_width(shown) > room && *shown)
		shown += next_char(shown, 0);
	x += surf_put(surf, row, x, room, shown, ROLE_NORMAL, 0);
	const char *rest = p->text + p->cursor;
	char cur[8] = " ";
	if (*rest) {
		int n = next_char(rest, 0);
		memcpy(cur, rest, (size_t)n);
		cur[n] = '\0';
		rest += n;
	}
	x += surf_put(surf, row, x, -1, cur, ROLE_SELECTED, 0);
	surf_put(surf, row, x, -1, rest, ROLE_NORMAL, 0);
}
