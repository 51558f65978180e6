/* libFuzzer harness for the VM metadata read back from libvirt
 * (vmrt_impl_metadata_parse, src/vm/libvirt-xml.c, over libxml2).
 * Whatever the input, a success gives two valid ids and a failure two empty
 * strings. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

/* the plugin's parser itself, compiled in (brinkd reaches it through dlopen) */
#include "vm/libvirt-xml.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	brink_id id, inst;
	enum brink_vmrt_meta_status st =
		vmrt_impl_metadata_parse((const char *)data, size, id, inst);
	bool ok = st == BRINK_VMRT_META_OK ? brink_id_valid(id) && brink_id_valid(inst)
					   : id[0] == '\0' && inst[0] == '\0';
	if (!ok)
		abort();
	return 0;
}
