/*
 * ports/linux/options.c - a glue module's "options=name=value,..." module
 * parameter handed to its frontend's switch call (pvk_blkfront_option,
 * pvk_netfront_option), one pair at a time.
 */
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "port_linux.h"

int pvk_linux_apply_options(const char *module, const char *options,
			    const char *separators,
			    int (*apply)(const char *name, const char *value))
{
	char *copy, *rest, *item;
	int rc = 0;

	if (!options || !*options)
		return 0;
	copy = kstrdup(options, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	rest = copy;
	while (!rc && (item = strsep(&rest, separators)) != NULL) {
		char *value = strchr(item, '=');

		if (!*item)
			continue;
		if (value)
			*value++ = '\0';
		rc = value ? apply(item, value) : -EINVAL;
		if (rc)
			pr_err("%s: option \"%s%s%s\" refused: %d\n", module, item,
			       value ? "=" : "", value ? value : " (no value)", rc);
	}
	kfree(copy);
	return rc;
}

bool pvk_linux_option_named(const char *options, const char *separators,
			    const char *name)
{
	size_t n = strlen(name);

	while (options && *options) {
		size_t len = strcspn(options, separators);

		if (len > n && options[n] == '=' && !strncmp(options, name, n))
			return true;
		options += len;
		options += strspn(options, separators);
	}
	return false;
}
