// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * kg-keyring.c - an existing user keyring for the "keyring:" trust anchor,
 * without keyctl(1) in the guest:
 *   kg-keyring newring DESC          keyring DESC linked into the user keyring;
 *                                    prints serial=N
 *   kg-keyring addcert SERIAL DER    asymmetric key from a DER certificate;
 *                                    prints serial=N
 */
#include <fcntl.h>
#include <keyutils.h>
#include <stdlib.h>
#include <unistd.h>

#include "kg_helper.h"

#define CERT_MAX 16384

static int new_keyring(const char *description)
{
	key_serial_t serial = add_key("keyring", description, NULL, 0, KEY_SPEC_USER_KEYRING);

	if (serial < 0)
		return kg_result(errno);
	printf("serial=%d\n", serial);
	return kg_result(0);
}

static int add_certificate(const char *ring, const char *der_path)
{
	static char der[CERT_MAX];
	key_serial_t serial;
	ssize_t len;
	int fd;

	fd = open(der_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kg_setup_error(der_path, "open", errno);
	len = read(fd, der, sizeof(der));
	close(fd);
	if (len <= 0)
		return kg_setup_error(der_path, "read", len < 0 ? errno : EIO);
	serial = add_key("asymmetric", NULL, der, (size_t)len, (key_serial_t)strtol(ring, NULL, 0));
	if (serial < 0)
		return kg_result(errno);
	printf("serial=%d\n", serial);
	return kg_result(0);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "newring") == 0)
		return new_keyring(argv[2]);
	if (argc == 4 && strcmp(argv[1], "addcert") == 0)
		return add_certificate(argv[2], argv[3]);
	fprintf(stderr, "usage: kg-keyring {newring DESC | addcert SERIAL DERFILE}\n");
	return KG_HELPER_USAGE;
}
