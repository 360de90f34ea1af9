// SPDX-License-Identifier: (LGPL-2.1-only OR BSD-2-Clause)
/*
 * kg-keyring.c - an existing user keyring for the "keyring:" trust anchor,
 * without keyctl(1) in the guest:
 *   kg-keyring newring DESC          keyring DESC linked into the user keyring;
 *                                    prints serial=N
 *   kg-keyring addcert SERIAL DER    asymmetric key from a DER certificate;
 *                                    prints serial=N
 *   kg-keyring plant DESC BELOW DER  what another user does to have a keyring
 *                                    taken for the admin's: keyring DESC in
 *                                    the caller's user keyring with a serial
 *                                    below BELOW (first in /proc/keys),
 *                                    viewable by everyone, holding the
 *                                    certificate; prints serial=N
 */
#include <keyutils.h>
#include <stdbool.h>
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

/* Adds the DER certificate at der_path to ring; prints the key's serial,
 * or the ring's when print_ring. */
static int add_certificate(key_serial_t ring, const char *der_path, bool print_ring)
{
	static char der[CERT_MAX];
	ssize_t len = kg_read_file(der_path, der, sizeof(der));
	key_serial_t serial;

	if (len <= 0)
		return kg_setup_error(der_path, "read", len < 0 ? (int)-len : EIO);
	serial = add_key("asymmetric", NULL, der, (size_t)len, ring);
	if (serial < 0)
		return kg_result(errno);
	printf("serial=%d\n", print_ring ? ring : serial);
	return kg_result(0);
}

static int plant(const char *description, const char *below, const char *der_path)
{
	long limit = strtol(below, NULL, 0);
	key_serial_t serial = -1;

	/* Serials are random: a new keyring of the same description replaces
	 * the previous one in the user keyring until one is low enough. */
	for (int i = 0; i < 1000 && (serial < 0 || serial >= limit); i++) {
		serial = add_key("keyring", description, NULL, 0, KEY_SPEC_USER_KEYRING);
		if (serial < 0)
			return kg_result(errno);
	}
	if (serial >= limit) {
		fprintf(stderr, "no serial below %ld in 1000 keyrings\n", limit);
		return KG_HELPER_USAGE;
	}
	if (keyctl_setperm(serial, KEY_POS_ALL | KEY_USR_ALL | KEY_OTH_VIEW | KEY_OTH_SEARCH) < 0)
		return kg_result(errno);
	return add_certificate(serial, der_path, true);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "newring") == 0)
		return new_keyring(argv[2]);
	if (argc == 4 && strcmp(argv[1], "addcert") == 0)
		return add_certificate((key_serial_t)strtol(argv[2], NULL, 0), argv[3], false);
	if (argc == 5 && strcmp(argv[1], "plant") == 0)
		return plant(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: kg-keyring {newring DESC | addcert SERIAL DERFILE | plant DESC BELOW DERFILE}\n");
	return KG_HELPER_USAGE;
}
