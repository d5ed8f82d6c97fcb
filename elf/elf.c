#include "elf/elf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The kernel's own limits (fs/binfmt_elf.c): the program headers fit in
 * 64 KiB (the interpreter's name: UD_ELF_INTERP_MAX). */
#define PHDRS_MAX 65536
/* Bounds on what a version walk or a run path reads into memory. */
#define SECTION_MAX (64u << 20)
#define DYNAMIC_MAX (1u << 20)
#define DYN_CHUNK 32u

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_DATA ELFDATA2LSB
#else
#define NATIVE_DATA ELFDATA2MSB
#endif

/* Whether [off, off+len) lies inside the file (no overflow). */
static bool in_file(const struct ud_elf *e, uint64_t off, uint64_t len)
{
	return off <= e->size && len <= e->size - off;
}

/* Reads exactly len bytes at off: 0, or -1 on a short or failed read. */
static int read_at(const struct ud_elf *e, void *buf, size_t len, uint64_t off)
{
	if (!in_file(e, off, len))
		return -1;
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(e->fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* A malloc'd copy of [off, off+len) of the file, or NULL. */
static void *read_alloc(const struct ud_elf *e, uint64_t off, uint64_t len)
{
	if (len > SECTION_MAX || !in_file(e, off, len))
		return NULL;
	void *p = malloc(len ? (size_t)len : 1);
	if (p && read_at(e, p, (size_t)len, off) < 0) {
		free(p);
		p = NULL;
	}
	return p;
}

int ud_elf_open(struct ud_elf *e, int fd)
{
	memset(e, 0, sizeof(*e));
	e->fd = fd;
	/* The system call, not libc's fstat: this file is also in the preload
	 * library, which may use only symbols glibc 2.17 has (fstat is
	 * fstat@GLIBC_2.33 when built on a newer glibc). */
	struct stat st;
	if (fd < 0 || syscall(SYS_fstat, fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size < EI_NIDENT + 4)
		return -1;
	e->size = (uint64_t)st.st_size;
	unsigned char head[sizeof(Elf64_Ehdr)] = {0};
	size_t len = e->size < sizeof(head) ? (size_t)e->size : sizeof(head);
	if (read_at(e, head, len, 0) < 0 || memcmp(head, ELFMAG, SELFMAG) != 0)
		return -1;
	/* e_type sits at the same place in either class. */
	uint16_t type;
	memcpy(&type, head + EI_NIDENT, sizeof(type));
	if (head[EI_DATA] != NATIVE_DATA)
		type = (uint16_t)((type >> 8) | (type << 8));
	e->type = type;
	if (head[EI_CLASS] == ELFCLASS64 && head[EI_DATA] == NATIVE_DATA &&
	    len == sizeof(Elf64_Ehdr)) {
		memcpy(&e->eh, head, sizeof(e->eh));
		e->native = true;
	}
	return 0;
}

bool ud_elf_is_program(const struct ud_elf *e)
{
	return e->type == ET_EXEC || e->type == ET_DYN;
}

/* Whether the program header table is one the kernel would read. */
static bool phdrs_ok(const struct ud_elf *e)
{
	if (!e->native)
		return false;
	if (e->eh.e_phnum == 0)
		return true;
	uint64_t len = (uint64_t)e->eh.e_phnum * sizeof(Elf64_Phdr);
	return e->eh.e_phentsize == sizeof(Elf64_Phdr) && len <= PHDRS_MAX &&
	       in_file(e, e->eh.e_phoff, len);
}

static int phdr_at(const struct ud_elf *e, unsigned i, Elf64_Phdr *ph)
{
	return read_at(e, ph, sizeof(*ph), e->eh.e_phoff + (uint64_t)i * sizeof(*ph));
}

/* The first program header of type into ph: 1, 0 when none, -1 when the
 * table is malformed. */
static int find_phdr(const struct ud_elf *e, uint32_t type, Elf64_Phdr *ph)
{
	if (!phdrs_ok(e))
		return -1;
	for (unsigned i = 0; i < e->eh.e_phnum; i++) {
		if (phdr_at(e, i, ph) < 0)
			return -1;
		if (ph->p_type == type)
			return 1;
	}
	return 0;
}

int ud_elf_interp(const struct ud_elf *e, char *buf, size_t size)
{
	if (!e->native)
		return 0;
	Elf64_Phdr ph;
	int r = find_phdr(e, PT_INTERP, &ph);
	if (r <= 0)
		return r;
	if (ph.p_filesz < 2 || ph.p_filesz > UD_ELF_INTERP_MAX || ph.p_filesz > size ||
	    read_at(e, buf, (size_t)ph.p_filesz, ph.p_offset) < 0)
		return -1;
	/* Like the kernel: the last byte is the NUL, the name ends at the
	 * first one. */
	if (buf[ph.p_filesz - 1] != '\0' || buf[0] == '\0')
		return -1;
	return 1;
}

bool ud_elf_has_dynamic(const struct ud_elf *e)
{
	Elf64_Phdr ph;
	return e->native && find_phdr(e, PT_DYNAMIC, &ph) == 1;
}

/* The file offset of virtual address addr (in a PT_LOAD's file part), or
 * -1. */
static int64_t addr_offset(const struct ud_elf *e, uint64_t addr)
{
	for (unsigned i = 0; i < e->eh.e_phnum; i++) {
		Elf64_Phdr ph;
		if (phdr_at(e, i, &ph) < 0)
			return -1;
		if (ph.p_type == PT_LOAD && addr >= ph.p_vaddr && addr - ph.p_vaddr < ph.p_filesz &&
		    in_file(e, ph.p_offset, ph.p_filesz))
			return (int64_t)(ph.p_offset + (addr - ph.p_vaddr));
	}
	return -1;
}

int ud_elf_runpath(const struct ud_elf *e, char *buf, size_t size)
{
	if (!e->native)
		return 0;
	Elf64_Phdr dyn;
	int r = find_phdr(e, PT_DYNAMIC, &dyn);
	if (r <= 0)
		return r;
	if (dyn.p_filesz > DYNAMIC_MAX || !in_file(e, dyn.p_offset, dyn.p_filesz))
		return -1;
	uint64_t strtab = 0, strsz = 0, runpath = 0, rpath = 0;
	bool has_strtab = false, has_runpath = false, has_rpath = false, end = false;
	Elf64_Dyn d[DYN_CHUNK];
	uint64_t n = dyn.p_filesz / sizeof(Elf64_Dyn);
	for (uint64_t i = 0; i < n && !end; i += DYN_CHUNK) {
		size_t k = n - i < DYN_CHUNK ? (size_t)(n - i) : DYN_CHUNK;
		if (read_at(e, d, k * sizeof(*d), dyn.p_offset + i * sizeof(*d)) < 0)
			return -1;
		for (size_t j = 0; j < k && !end; j++) {
			switch (d[j].d_tag) {
			case DT_NULL:
				end = true;
				break;
			case DT_STRTAB:
				strtab = d[j].d_un.d_ptr;
				has_strtab = true;
				break;
			case DT_STRSZ:
				strsz = d[j].d_un.d_val;
				break;
			case DT_RUNPATH:
				runpath = d[j].d_un.d_val;
				has_runpath = true;
				break;
			case DT_RPATH:
				rpath = d[j].d_un.d_val;
				has_rpath = true;
				break;
			}
		}
	}
	if (!has_runpath && !has_rpath)
		return 0;
	uint64_t at = has_runpath ? runpath : rpath;
	int64_t off = has_strtab ? addr_offset(e, strtab) : -1;
	if (off < 0 || !in_file(e, (uint64_t)off, strsz) || at >= strsz || size == 0)
		return -1;
	/* The string ends inside the table and fits in buf with its NUL. */
	uint64_t avail = strsz - at;
	size_t len = avail < size ? (size_t)avail : size;
	if (read_at(e, buf, len, (uint64_t)off + at) < 0 || memchr(buf, '\0', len) == NULL)
		return -1;
	return 1;
}

/* The names of one version section (sec: its bytes) found in strtab. */
static void walk_versions(const unsigned char *sec, uint64_t sec_size, uint32_t count,
			  const char *strtab, uint64_t str_size, bool defined,
			  void (*fn)(const char *name, void *arg), void *arg)
{
	const uint64_t entry_size = defined ? sizeof(Elf64_Verdef) : sizeof(Elf64_Verneed);
	const uint64_t aux_size = defined ? sizeof(Elf64_Verdaux) : sizeof(Elf64_Vernaux);
	uint64_t off = 0;
	for (uint32_t n = 0; n < count; n++) {
		if (off > sec_size || sec_size - off < entry_size)
			return;
		uint64_t aux, next, names;
		if (defined) {
			Elf64_Verdef vd;
			memcpy(&vd, sec + off, sizeof(vd));
			aux = vd.vd_aux;
			names = vd.vd_cnt;
			next = vd.vd_next;
		} else {
			Elf64_Verneed vn;
			memcpy(&vn, sec + off, sizeof(vn));
			aux = vn.vn_aux;
			names = vn.vn_cnt;
			next = vn.vn_next;
		}
		/* Offsets are unsigned: every step moves forward, so no chain
		 * comes back to where it was. */
		uint64_t a = off + aux;
		for (uint64_t k = 0; k < names; k++) {
			if (a > sec_size || sec_size - a < aux_size)
				break;
			uint32_t name, anext;
			if (defined) {
				Elf64_Verdaux va;
				memcpy(&va, sec + a, sizeof(va));
				name = va.vda_name;
				anext = va.vda_next;
			} else {
				Elf64_Vernaux va;
				memcpy(&va, sec + a, sizeof(va));
				name = va.vna_name;
				anext = va.vna_next;
			}
			if (name < str_size && memchr(strtab + name, '\0', str_size - name))
				fn(strtab + name, arg);
			if (anext == 0)
				break;
			a += anext;
		}
		if (next == 0)
			return;
		off += next;
	}
}

int ud_elf_versions(const struct ud_elf *e, bool defined, void (*fn)(const char *name, void *arg),
		    void *arg)
{
	if (!e->native)
		return -1;
	const Elf64_Ehdr *eh = &e->eh;
	if (eh->e_shnum == 0)
		return 0;
	uint64_t table = (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr);
	if (eh->e_shentsize != sizeof(Elf64_Shdr))
		return -1;
	Elf64_Shdr *sh = read_alloc(e, eh->e_shoff, table);
	if (sh == NULL)
		return -1;
	uint32_t want = defined ? SHT_GNU_verdef : SHT_GNU_verneed;
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != want || sh[i].sh_link >= eh->e_shnum ||
		    sh[sh[i].sh_link].sh_type != SHT_STRTAB)
			continue;
		const Elf64_Shdr *str = &sh[sh[i].sh_link];
		char *strtab = read_alloc(e, str->sh_offset, str->sh_size);
		unsigned char *sec = strtab ? read_alloc(e, sh[i].sh_offset, sh[i].sh_size) : NULL;
		if (sec)
			walk_versions(sec, sh[i].sh_size, sh[i].sh_info, strtab, str->sh_size,
				      defined, fn, arg);
		free(sec);
		free(strtab);
	}
	free(sh);
	return 0;
}

bool ud_elf_loader_takes_argv0(const char *path)
{
	static const char opt[] = "--argv0";
	const size_t n = sizeof(opt) - 1;
	bool found = false;
	/* System calls: in the preload library open and pread are its own
	 * path-translating wrappers, and path is a host path already. */
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		char buf[65536];
		size_t keep = 0;
		off_t off = 0;
		for (;;) {
			ssize_t got = syscall(SYS_pread64, fd, buf + keep, sizeof(buf) - keep, off);
			if (got <= 0)
				break;
			off += got;
			size_t len = keep + (size_t)got;
			if (memmem(buf, len, opt, n)) {
				found = true;
				break;
			}
			keep = len < n - 1 ? len : n - 1;
			memmove(buf, buf + len - keep, keep);
		}
		syscall(SYS_close, fd);
	}
	return found;
}
