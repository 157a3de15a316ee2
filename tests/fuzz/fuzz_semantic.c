/*
 * fuzz_semantic.c: libFuzzer harness for the semantic text work (schema
 * validation, coherence, entities, PII, local embedding) and the stateful
 * half. Input layout: the response text, then a 0 byte, then the context
 * (no 0 byte: no context). The response is validated against a fixed schema
 * that uses every keyword family.
 */
#include "core/semantic.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char schema[] =
        "{\"type\":[\"object\",\"array\"],\"required\":[\"a\"],\"additionalProperties\":"
        "{\"anyOf\":[{\"type\":\"string\",\"pattern\":\"^[\\\\w.-]+@\\\\d{2,}$\",\"maxLength\":40},"
        "{\"type\":\"number\",\"multipleOf\":0.5,\"minimum\":-1e6}]},"
        "\"properties\":{\"a\":{\"oneOf\":[{\"const\":1},{\"enum\":[\"x\",null,[1,{\"b\":2}]]}]},"
        "\"l\":{\"type\":\"array\",\"items\":{\"$ref\":\"#\"},\"uniqueItems\":true,\"maxItems\":9}}"
        ","
        "\"items\":{\"not\":{\"type\":\"boolean\"}}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *t = (const char *)data;
	const char *zero = memchr(t, 0, size);
	struct observation obs;
	observation_init(&obs);
	obs.http_status = 200;
	memcpy(obs.pid.provider, "p", 2);
	memcpy(obs.schema_id, "s", 2);
	obs.text = t;
	obs.text_len = zero ? (size_t)(zero - t) : size;
	if (zero) {
		obs.context_text = zero + 1;
		obs.context_len = size - obs.text_len - 1;
	}
	struct jschema_set *set = jschema_set_new();
	if (!set || jschema_set_add(set, "s", schema, sizeof(schema) - 1, "s.json", NULL) != 0)
		__builtin_trap();
	struct semantic_settings ss;
	struct core_settings cs;
	semantic_defaults(&ss);
	settings_defaults(&cs);
	ss.similarity.warmup = 1;
	struct semantic *sem = semantic_new(&ss, &cs, set);
	for (int i = 0; i < 3; i++) {
		struct semantic_verdicts v = obs.verdicts;
		if (semantic_inline(sem, &obs, 1000 * i, &v) != 0)
			break;
		if (v.similarity > 1.0001 || v.similarity < -1.0001)
			__builtin_trap();
	}
	semantic_free(sem);
	jschema_set_free(set);
	return 0;
}
