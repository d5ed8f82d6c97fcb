/* The ELF reader against crafted hostile files and the real programs of
 * this host. Every crafted file is one 64-bit program laid out as
 *   0: header, 64: program headers, 512: interpreter, 1024: dynamic
 *   section, 2048: dynamic string table, 3072: section headers,
 *   5120: version section, 6144: its string table
 * with one PT_LOAD mapping the whole file at VADDR; each case breaks one
 * field. */
#include "elf/elf.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IMG_SIZE 8192
#define VADDR 0x400000u
#define INTERP_OFF 512
#define DYN_OFF 1024
#define STR_OFF 2048
#define SH_OFF 3072
#define VER_OFF 5120
#define VSTR_OFF 6144

struct img {
	unsigned char b[IMG_SIZE];
	size_t len;
};

static Elf64_Ehdr *ehdr(struct img *m)
{
	return (Elf64_Ehdr *)m->b;
}

static Elf64_Phdr *phdr(struct img *m, int i)
{
	return (Elf64_Phdr *)(m->b + 64) + i;
}

static Elf64_Dyn *dyn(struct img *m)
{
	return (Elf64_Dyn *)(m->b + DYN_OFF);
}

static Elf64_Shdr *shdr(struct img *m, int i)
{
	return (Elf64_Shdr *)(m->b + SH_OFF) + i;
}

/* A dynamic program: interpreter, RUNPATH "$ORIGIN/lib:/opt/x", a
 * verneed section (section 1, strings in section 2) needing GLIBC_2.17
 * and GLIBC_2.34 from libc.so.6. */
static void program(struct img *m)
{
	memset(m, 0, sizeof(*m));
	m->len = IMG_SIZE;
	Elf64_Ehdr *eh = ehdr(m);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_DYN;
	eh->e_machine = EM_X86_64;
	eh->e_phoff = 64;
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 3;
	eh->e_shoff = SH_OFF;
	eh->e_shentsize = sizeof(Elf64_Shdr);
	eh->e_shnum = 3;
	const char interp[] = "/lib64/ld-linux-x86-64.so.2";
	*phdr(m, 0) = (Elf64_Phdr){
		.p_type = PT_INTERP, .p_offset = INTERP_OFF, .p_filesz = sizeof(interp)};
	memcpy(m->b + INTERP_OFF, interp, sizeof(interp));
	*phdr(m, 1) = (Elf64_Phdr){
		.p_type = PT_LOAD, .p_vaddr = VADDR, .p_filesz = IMG_SIZE, .p_memsz = IMG_SIZE};
	*phdr(m, 2) = (Elf64_Phdr){.p_type = PT_DYNAMIC,
				   .p_offset = DYN_OFF,
				   .p_vaddr = VADDR + DYN_OFF,
				   .p_filesz = 4 * sizeof(Elf64_Dyn)};
	const char dynstr[] = "\0$ORIGIN/lib:/opt/x\0/old/rpath";
	memcpy(m->b + STR_OFF, dynstr, sizeof(dynstr));
	Elf64_Dyn *d = dyn(m);
	d[0] = (Elf64_Dyn){.d_tag = DT_STRTAB, .d_un.d_ptr = VADDR + STR_OFF};
	d[1] = (Elf64_Dyn){.d_tag = DT_STRSZ, .d_un.d_val = sizeof(dynstr)};
	d[2] = (Elf64_Dyn){.d_tag = DT_RUNPATH, .d_un.d_val = 1};
	d[3] = (Elf64_Dyn){.d_tag = DT_NULL};
	const char vstr[] = "\0libc.so.6\0GLIBC_2.17\0GLIBC_2.34";
	memcpy(m->b + VSTR_OFF, vstr, sizeof(vstr));
	*shdr(m, 1) = (Elf64_Shdr){.sh_type = SHT_GNU_verneed,
				   .sh_offset = VER_OFF,
				   .sh_size = sizeof(Elf64_Verneed) + 2 * sizeof(Elf64_Vernaux),
				   .sh_link = 2,
				   .sh_info = 1};
	*shdr(m, 2) =
		(Elf64_Shdr){.sh_type = SHT_STRTAB, .sh_offset = VSTR_OFF, .sh_size = sizeof(vstr)};
	Elf64_Verneed vn = {.vn_version = 1,
			    .vn_cnt = 2,
			    .vn_file = 1,
			    .vn_aux = sizeof(Elf64_Verneed),
			    .vn_next = 0};
	Elf64_Vernaux a1 = {.vna_name = 11, .vna_next = sizeof(Elf64_Vernaux)};
	Elf64_Vernaux a2 = {.vna_name = 22, .vna_next = 0};
	memcpy(m->b + VER_OFF, &vn, sizeof(vn));
	memcpy(m->b + VER_OFF + sizeof(vn), &a1, sizeof(a1));
	memcpy(m->b + VER_OFF + sizeof(vn) + sizeof(a1), &a2, sizeof(a2));
}

/* A library defining GLIBC_2.2.5 and GLIBC_2.36 (verdef in section 1). */
static void library(struct img *m)
{
	program(m);
	const char vstr[] = "\0libc.so.6\0GLIBC_2.2.5\0GLIBC_2.36";
	memcpy(m->b + VSTR_OFF, vstr, sizeof(vstr));
	Elf64_Shdr *sh = shdr(m, 1);
	sh->sh_type = SHT_GNU_verdef;
	sh->sh_size = 3 * (sizeof(Elf64_Verdef) + sizeof(Elf64_Verdaux));
	sh->sh_info = 3;
	shdr(m, 2)->sh_size = sizeof(vstr);
	const Elf64_Word names[] = {1, 11, 23};
	for (int i = 0; i < 3; i++) {
		Elf64_Verdef vd = {.vd_version = 1,
				   .vd_ndx = (Elf64_Half)(i + 1),
				   .vd_cnt = 1,
				   .vd_aux = sizeof(Elf64_Verdef),
				   .vd_next = i < 2 ? sizeof(Elf64_Verdef) + sizeof(Elf64_Verdaux)
						    : 0};
		Elf64_Verdaux va = {.vda_name = names[i]};
		size_t at = VER_OFF + (size_t)i * (sizeof(vd) + sizeof(va));
		memcpy(m->b + at, &vd, sizeof(vd));
		memcpy(m->b + at + sizeof(vd), &va, sizeof(va));
	}
}

/* The file m written to a temporary file, open; e read from it. */
static int open_img(const struct img *m, struct ud_elf *e)
{
	char path[] = "/tmp/check_elf.XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(write(fd, m->b, m->len), (ssize_t)m->len);
	int r = ud_elf_open(e, fd);
	return r < 0 ? -1 : fd;
}

/* What fn (ud_elf_interp, ud_elf_runpath) reads from m into buf; -2
 * when m is not ELF. */
static int string_of(const struct img *m, int (*fn)(const struct ud_elf *, char *, size_t),
		     char *buf, size_t size)
{
	struct ud_elf e;
	int fd = open_img(m, &e);
	int r = fd < 0 ? -2 : fn(&e, buf, size);
	close(fd);
	return r;
}

/* Every version name, ' ' separated. */
struct names {
	char list[1024];
};

static void add_name(const char *name, void *arg)
{
	struct names *n = arg;
	size_t len = strlen(n->list);
	snprintf(n->list + len, sizeof(n->list) - len, "%s%s", len ? " " : "", name);
}

static int versions_of(const struct img *m, bool defined, struct names *n)
{
	memset(n, 0, sizeof(*n));
	struct ud_elf e;
	int fd = open_img(m, &e);
	int r = fd < 0 ? -2 : ud_elf_versions(&e, defined, add_name, n);
	close(fd);
	return r;
}

START_TEST(reads_a_well_formed_program)
{
	struct img m;
	program(&m);
	char buf[256];
	ck_assert_int_eq(string_of(&m, ud_elf_interp, buf, sizeof(buf)), 1);
	ck_assert_str_eq(buf, "/lib64/ld-linux-x86-64.so.2");
	ck_assert_int_eq(string_of(&m, ud_elf_runpath, buf, sizeof(buf)), 1);
	ck_assert_str_eq(buf, "$ORIGIN/lib:/opt/x");
	struct names n;
	ck_assert_int_eq(versions_of(&m, false, &n), 0);
	ck_assert_str_eq(n.list, "GLIBC_2.17 GLIBC_2.34");
	ck_assert_int_eq(versions_of(&m, true, &n), 0);
	ck_assert_str_eq(n.list, "");
	library(&m);
	ck_assert_int_eq(versions_of(&m, true, &n), 0);
	ck_assert_str_eq(n.list, "libc.so.6 GLIBC_2.2.5 GLIBC_2.36");
	struct ud_elf e;
	int fd = open_img(&m, &e);
	ck_assert(ud_elf_is_program(&e));
	ck_assert(ud_elf_has_dynamic(&e));
	close(fd);
}
END_TEST

START_TEST(static_and_foreign_files)
{
	struct img m;
	program(&m);
	phdr(&m, 0)->p_type = PT_NOTE; /* no interpreter, no dynamic section */
	phdr(&m, 2)->p_type = PT_NOTE;
	char buf[256];
	struct ud_elf e;
	int fd = open_img(&m, &e);
	ck_assert_int_eq(ud_elf_interp(&e, buf, sizeof(buf)), 0);
	ck_assert(!ud_elf_has_dynamic(&e));
	ck_assert_int_eq(ud_elf_runpath(&e, buf, sizeof(buf)), 0);
	close(fd);
	/* A 32-bit program: ELF, a program, nothing more read. */
	program(&m);
	m.b[EI_CLASS] = ELFCLASS32;
	fd = open_img(&m, &e);
	ck_assert_int_ge(fd, 0);
	ck_assert(ud_elf_is_program(&e));
	ck_assert_int_eq(ud_elf_interp(&e, buf, sizeof(buf)), 0);
	close(fd);
	/* Not ELF; too short for a header: ELF magic, nothing to read. */
	program(&m);
	m.b[0] = '#';
	ck_assert_int_eq(string_of(&m, ud_elf_interp, buf, sizeof(buf)), -2);
	program(&m);
	m.len = 40;
	ck_assert_int_eq(string_of(&m, ud_elf_interp, buf, sizeof(buf)), 0);
	m.len = 10;
	ck_assert_int_eq(string_of(&m, ud_elf_interp, buf, sizeof(buf)), -2);
}
END_TEST

START_TEST(hostile_program_headers)
{
	struct img m;
	char buf[4096];
	program(&m);
	ehdr(&m)->e_phnum = 0xffff; /* 65535 * 56 bytes: past EOF, past 64 KiB */
	ck_assert_int_eq(string_of(&m, ud_elf_interp, buf, sizeof(buf)), -1);
	program(&m);
	ehdr(&m)->e_phoff = IMG_SIZE; /* past EOF */
	ck_assert_int_eq(string_of(&m, ud_elf_interp, buf, sizeof(buf)), -1);
	program(&m);
	ehdr(&m)->e_phoff = ~(Elf64_Off)0 - 16; /* phoff + size wraps */
	ck_assert_int_eq(string_of(&m, ud_elf_interp, buf, sizeof(buf)), -1);
	program(&m);
	ehdr(&m)->e_phentsize = 8; /* entries overlapping each other */
	ck_assert_int_eq(string_of(&m, ud_elf_interp, buf, sizeof(buf)), -1);
	program(&m);
	ehdr(&m)->e_phentsize = 0;
	ck_assert_int_eq(string_of(&m, ud_elf_interp, buf, sizeof(buf)), -1);
	program(&m);
	ehdr(&m)->e_phnum = 1;
	m.len = 64 + 20; /* the table cut off */
	ck_assert_int_eq(string_of(&m, ud_elf_interp, buf, sizeof(buf)), -1);
	struct ud_elf e;
	int fd = open_img(&m, &e);
	ck_assert(!ud_elf_has_dynamic(&e));
	close(fd);
}
END_TEST

START_TEST(hostile_interpreter)
{
	struct img m;
	char buf[4096];
	program(&m);
	phdr(&m, 0)->p_offset = IMG_SIZE + 4096; /* past EOF */
	ck_assert_int_eq(string_of(&m, ud_elf_interp, buf, sizeof(buf)), -1);
	program(&m);
	phdr(&m, 0)->p_offset = ~(Elf64_Off)0 - 8; /* offset + size wraps */
	ck_assert_int_eq(string_of(&m, ud_elf_interp, buf, sizeof(buf)), -1);
	program(&m);
	phdr(&m, 0)->p_filesz = (Elf64_Xword)1 << 40; /* huge */
	ck_assert_int_eq(string_of(&m, ud_elf_interp, buf, sizeof(buf)), -1);
	program(&m);
	phdr(&m, 0)->p_filesz = 8; /* no NUL: "/lib64/l" */
	ck_assert_int_eq(string_of(&m, ud_elf_interp, buf, sizeof(buf)), -1);
	program(&m);
	phdr(&m, 0)->p_filesz = 1;
	ck_assert_int_eq(string_of(&m, ud_elf_interp, buf, sizeof(buf)), -1);
	program(&m);
	m.b[INTERP_OFF] = '\0'; /* empty name */
	ck_assert_int_eq(string_of(&m, ud_elf_interp, buf, sizeof(buf)), -1);
	program(&m);
	ck_assert_int_eq(string_of(&m, ud_elf_interp, buf, 10), -1); /* longer than the buffer */
	/* Padded with NULs past 256 bytes, as the kernel accepts: found. */
	program(&m);
	phdr(&m, 0)->p_filesz = 300;
	ck_assert_int_eq(string_of(&m, ud_elf_interp, buf, sizeof(buf)), 1);
	ck_assert_str_eq(buf, "/lib64/ld-linux-x86-64.so.2");
	program(&m);
	phdr(&m, 0)->p_filesz = 5000; /* longer than the kernel's PATH_MAX */
	ck_assert_int_eq(string_of(&m, ud_elf_interp, buf, sizeof(buf)), -1);
}
END_TEST

START_TEST(hostile_dynamic_section)
{
	struct img m;
	char buf[256];
	program(&m);
	dyn(&m)[0].d_un.d_ptr = 0x10; /* string table in no PT_LOAD */
	ck_assert_int_eq(string_of(&m, ud_elf_runpath, buf, sizeof(buf)), -1);
	program(&m);
	dyn(&m)[0].d_un.d_ptr = VADDR + IMG_SIZE - 4;
	ck_assert_int_eq(string_of(&m, ud_elf_runpath, buf, sizeof(buf)), -1); /* strsz past EOF */
	program(&m);
	dyn(&m)[2].d_un.d_val = 1000; /* past DT_STRSZ */
	ck_assert_int_eq(string_of(&m, ud_elf_runpath, buf, sizeof(buf)), -1);
	program(&m);
	dyn(&m)[1].d_un.d_val = 6; /* "$ORIG": the string runs past the table */
	ck_assert_int_eq(string_of(&m, ud_elf_runpath, buf, sizeof(buf)), -1);
	program(&m);
	dyn(&m)[1].d_un.d_val = ~(Elf64_Xword)0;
	ck_assert_int_eq(string_of(&m, ud_elf_runpath, buf, sizeof(buf)), -1);
	program(&m);
	ck_assert_int_eq(string_of(&m, ud_elf_runpath, buf, 5), -1); /* longer than the buffer */
	program(&m);
	phdr(&m, 1)->p_filesz = ~(Elf64_Xword)0; /* a PT_LOAD past EOF */
	ck_assert_int_eq(string_of(&m, ud_elf_runpath, buf, sizeof(buf)), -1);
	program(&m);
	phdr(&m, 2)->p_offset = IMG_SIZE - 8;
	ck_assert_int_eq(string_of(&m, ud_elf_runpath, buf, sizeof(buf)), -1);
	program(&m);
	phdr(&m, 2)->p_filesz = (Elf64_Xword)1 << 62;
	ck_assert_int_eq(string_of(&m, ud_elf_runpath, buf, sizeof(buf)), -1);
	/* DT_RUNPATH wins over DT_RPATH in either order. */
	program(&m);
	dyn(&m)[3] = (Elf64_Dyn){.d_tag = DT_RPATH, .d_un.d_val = 20};
	phdr(&m, 2)->p_filesz = 5 * sizeof(Elf64_Dyn);
	ck_assert_int_eq(string_of(&m, ud_elf_runpath, buf, sizeof(buf)), 1);
	ck_assert_str_eq(buf, "$ORIGIN/lib:/opt/x");
	dyn(&m)[2].d_tag = DT_NEEDED;
	ck_assert_int_eq(string_of(&m, ud_elf_runpath, buf, sizeof(buf)), 1);
	ck_assert_str_eq(buf, "/old/rpath");
	/* Entries after DT_NULL are not read. */
	dyn(&m)[2] = (Elf64_Dyn){.d_tag = DT_NULL};
	ck_assert_int_eq(string_of(&m, ud_elf_runpath, buf, sizeof(buf)), 0);
}
END_TEST

START_TEST(hostile_section_table)
{
	struct img m;
	struct names n;
	program(&m);
	ehdr(&m)->e_shoff = ~(Elf64_Off)0 - 64 * 0xfffe; /* shoff + size wraps */
	ehdr(&m)->e_shnum = 0xffff;
	ck_assert_int_eq(versions_of(&m, false, &n), -1);
	program(&m);
	ehdr(&m)->e_shoff = IMG_SIZE - 64; /* past EOF */
	ck_assert_int_eq(versions_of(&m, false, &n), -1);
	program(&m);
	ehdr(&m)->e_shentsize = 16;
	ck_assert_int_eq(versions_of(&m, false, &n), -1);
	program(&m);
	shdr(&m, 1)->sh_link = 7; /* string table out of range */
	ck_assert_int_eq(versions_of(&m, false, &n), 0);
	ck_assert_str_eq(n.list, "");
	program(&m);
	shdr(&m, 1)->sh_link = 1; /* "string table" is not one */
	ck_assert_int_eq(versions_of(&m, false, &n), 0);
	ck_assert_str_eq(n.list, "");
	program(&m);
	shdr(&m, 2)->sh_offset = ~(Elf64_Off)0 - 4; /* strings: offset + size wraps */
	ck_assert_int_eq(versions_of(&m, false, &n), 0);
	ck_assert_str_eq(n.list, "");
	program(&m);
	shdr(&m, 1)->sh_offset = IMG_SIZE - 8; /* section past EOF */
	ck_assert_int_eq(versions_of(&m, false, &n), 0);
	ck_assert_str_eq(n.list, "");
	program(&m);
	shdr(&m, 1)->sh_size = (Elf64_Xword)1 << 40;
	ck_assert_int_eq(versions_of(&m, false, &n), 0);
	ck_assert_str_eq(n.list, "");
}
END_TEST

START_TEST(hostile_version_chains)
{
	struct img m;
	struct names n;
	/* A name whose string runs to the end of the table without a NUL. */
	program(&m);
	shdr(&m, 2)->sh_size = 30; /* "GLIBC_2.34" cut to "GLIBC_2." */
	ck_assert_int_eq(versions_of(&m, false, &n), 0);
	ck_assert_str_eq(n.list, "GLIBC_2.17");
	program(&m);
	Elf64_Vernaux *a = (Elf64_Vernaux *)(m.b + VER_OFF + sizeof(Elf64_Verneed));
	a[0].vna_name = 100000; /* outside the string table */
	ck_assert_int_eq(versions_of(&m, false, &n), 0);
	ck_assert_str_eq(n.list, "GLIBC_2.34");
	/* An aux chain out of the section (still inside the file). */
	program(&m);
	a = (Elf64_Vernaux *)(m.b + VER_OFF + sizeof(Elf64_Verneed));
	a[0].vna_next = 200;
	ck_assert_int_eq(versions_of(&m, false, &n), 0);
	ck_assert_str_eq(n.list, "GLIBC_2.17");
	/* A count far larger than the chain; a chain that comes back to its
	 * start (vna_next 0 ends it, an offset can only move forward). */
	program(&m);
	Elf64_Verneed *vn = (Elf64_Verneed *)(m.b + VER_OFF);
	vn->vn_cnt = 0xffff;
	a = (Elf64_Vernaux *)(m.b + VER_OFF + sizeof(Elf64_Verneed));
	a[1].vna_next = 0xffffffff - 15;
	shdr(&m, 1)->sh_info = 0xffffffff;
	vn->vn_next = sizeof(Elf64_Verneed) + 2 * sizeof(Elf64_Vernaux) - 16;
	ck_assert_int_eq(versions_of(&m, false, &n), 0);
	ck_assert_ptr_nonnull(strstr(n.list, "GLIBC_2.17 GLIBC_2.34"));
	ck_assert_uint_lt(strlen(n.list), 100);
	/* A verdef cut in the middle of a record at the end of the file. */
	library(&m);
	Elf64_Shdr *sh = shdr(&m, 1);
	sh->sh_offset = IMG_SIZE - 16;
	sh->sh_size = 16;
	ck_assert_int_eq(versions_of(&m, true, &n), 0);
	ck_assert_str_eq(n.list, "");
	/* vd_aux pointing outside the section. */
	library(&m);
	((Elf64_Verdef *)(m.b + VER_OFF))->vd_aux = 0xfffffff0;
	ck_assert_int_eq(versions_of(&m, true, &n), 0);
	ck_assert_str_eq(n.list, "GLIBC_2.2.5 GLIBC_2.36");
	/* vd_next past the section. */
	library(&m);
	((Elf64_Verdef *)(m.b + VER_OFF))->vd_next = 0x7fffffff;
	ck_assert_int_eq(versions_of(&m, true, &n), 0);
	ck_assert_str_eq(n.list, "libc.so.6");
}
END_TEST

/* The host's own programs: a dynamic one and a static one. */
START_TEST(real_programs)
{
	struct ud_elf e;
	char buf[4096];
	struct names n = {{0}};
	int fd = open("/bin/ls", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ud_elf_open(&e, fd), 0);
	ck_assert(ud_elf_is_program(&e));
	ck_assert_int_eq(ud_elf_interp(&e, buf, sizeof(buf)), 1);
	ck_assert_ptr_nonnull(strstr(buf, "/ld-linux"));
	ck_assert(ud_elf_has_dynamic(&e));
	ck_assert_int_eq(ud_elf_versions(&e, false, add_name, &n), 0);
	ck_assert_ptr_nonnull(strstr(n.list, "GLIBC_2."));
	close(fd);
	/* The static tracer of this build (ctest runs in the build
	 * directory), else busybox. */
	const char *const statics[] = {"udocker-tracer", "ud-test-confine", "/bin/busybox"};
	fd = -1;
	for (size_t i = 0; i < sizeof(statics) / sizeof(statics[0]) && fd < 0; i++)
		fd = open(statics[i], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "check_elf: skipped the static program: none found\n");
		return;
	}
	ck_assert_int_eq(ud_elf_open(&e, fd), 0);
	ck_assert(ud_elf_is_program(&e));
	ck_assert_int_eq(ud_elf_interp(&e, buf, sizeof(buf)), 0);
	ck_assert_int_eq(ud_elf_runpath(&e, buf, sizeof(buf)), 0);
	close(fd);
	/* The host's libc defines its versions. */
	const char *const libcs[] = {"/lib/x86_64-linux-gnu/libc.so.6", "/lib64/libc.so.6"};
	fd = -1;
	for (size_t i = 0; i < sizeof(libcs) / sizeof(libcs[0]) && fd < 0; i++)
		fd = open(libcs[i], O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ud_elf_open(&e, fd), 0);
	memset(&n, 0, sizeof(n));
	ck_assert_int_eq(ud_elf_versions(&e, true, add_name, &n), 0);
	ck_assert_ptr_nonnull(strstr(n.list, "GLIBC_2.2.5"));
	close(fd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("elf");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, reads_a_well_formed_program);
	tcase_add_test(tc, static_and_foreign_files);
	tcase_add_test(tc, hostile_program_headers);
	tcase_add_test(tc, hostile_interpreter);
	tcase_add_test(tc, hostile_dynamic_section);
	tcase_add_test(tc, hostile_section_table);
	tcase_add_test(tc, hostile_version_chains);
	tcase_add_test(tc, real_programs);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
