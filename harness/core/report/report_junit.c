/*
 * The <testcase> of each assertion in a scenario's JUnit <testsuite>.
 *
 * A testcase's name is what CI systems track a test's history by, so it
 * must not change when a bound is tuned: it is the assertion's `name:`,
 * else its kind, probe and window (the label), never the bound. The bound
 * and the measured value go into the failure message and the testcase's
 * <properties> (the form pytest's record_property writes, which Jenkins
 * and GitLab read). Two assertions with the same label get " (2)", " (3)"
 * in file order. An interrupted run judges nothing: each testcase is
 * <skipped>, and the run's <error> says where it stopped.
 */
#include "report/report_junit.h"

#include <stdio.h>
#include <string.h>

/* How many verdicts before v[i] have its label (0: it is the first). */
static unsigned same_before(const struct fr_record *r, size_t i)
{
	unsigned n = 0;

	for (size_t k = 0; k < i; k++)
		n += strcmp(r->verdicts[k].label, r->verdicts[i].label) == 0;
	return n;
}

static void property(struct fr_buf *b, const char *name, const char *value)
{
	fr_buf_printf(b, "        <property name=\"%s\" value=\"", name);
	fr_buf_xml(b, value);
	fr_buf_puts(b, "\"/>\n");
}

static void failure(struct fr_buf *b, const struct fr_record *r, const struct fr_verdict *v)
{
	fr_buf_puts(b, "      <failure type=\"");
	fr_buf_xml(b, fr_expect_kind_name(v->e->kind));
	fr_buf_puts(b, "\" message=\"measured ");
	fr_buf_xml(b, v->measured);
	fr_buf_puts(b, ", expected ");
	fr_buf_xml(b, v->bound);
	fr_buf_puts(b, "\">");
	fr_buf_xml(b, v->label);
	fr_buf_puts(b, "\nmeasured: ");
	fr_buf_xml(b, v->measured);
	fr_buf_puts(b, "\nbound: ");
	fr_buf_xml(b, v->bound);
	if (v->e->mark.line)
		fr_buf_printf(b, "\nat %s:%d", r->s->file, v->e->mark.line);
	fr_buf_puts(b, "</failure>\n");
}

void fr_junit_testcases(struct fr_buf *b, const struct fr_record *r, const char *why)
{
	for (size_t i = 0; i < r->nverdicts; i++) {
		const struct fr_verdict *v = &r->verdicts[i];
		unsigned dup = same_before(r, i);

		fr_buf_puts(b, "    <testcase classname=\"");
		fr_buf_xml(b, r->s->name);
		fr_buf_puts(b, "\" name=\"");
		fr_buf_xml(b, v->label);
		if (dup)
			fr_buf_printf(b, " (%u)", dup + 1);
		fr_buf_puts(b, "\" time=\"0\">\n      <properties>\n");
		property(b, "kind", fr_expect_kind_name(v->e->kind));
		if (v->bound[0])
			property(b, "bound", v->bound);
		property(b, "measured", v->measured);
		fr_buf_puts(b, "      </properties>\n");
		if (v->unjudged) {
			fr_buf_puts(b, "      <skipped message=\"not judged: ");
			fr_buf_xml(b, why ? why : "the run was interrupted");
			fr_buf_puts(b, "\"/>\n");
		} else if (!v->ok) {
			failure(b, r, v);
		}
		fr_buf_puts(b, "    </testcase>\n");
	}
}

unsigned fr_junit_skipped(const struct fr_record *r)
{
	unsigned n = 0;

	for (size_t i = 0; i < r->nverdicts; i++)
		n += r->verdicts[i].unjudged;
	return n;
}
