/*
 * fuzz_jschema.c: libFuzzer harness for the schema compiler. The input is a
 * schema document; when it compiles, a few fixed responses and the input
 * itself (as a response) are validated against it. Compile errors must come
 * with a message.
 */
#include "core/jschema.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const responses[] = {
	"{\"a\":1,\"b\":[1,2,{\"c\":null}],\"d\":\"text\"}",
	"[1,\"x\",true,null,2.5]",
	"\"s\"",
	"-0.0",
	"{\"\\u0000\":{\"~/\":[]}}",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jschema *s = NULL;
	char *cause = NULL;
	int rc = jschema_compile((const char *)data, size, "fuzz.json", &s, &cause);
	if (rc != 0) {
		if (!cause || s)
			__builtin_trap();
		free(cause);
		return 0;
	}
	struct jschema_scratch sc;
	jschema_scratch_init(&sc);
	struct jschema_result r;
	for (size_t i = 0; i < sizeof(responses) / sizeof(responses[0]); i++)
		jschema_validate(s, responses[i], strlen(responses[i]), &sc, &r);
	jschema_validate(s, (const char *)data, size, &sc, &r);
	jschema_scratch_done(&sc);
	jschema_free(s);
	return 0;
}
