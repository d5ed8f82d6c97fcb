/* elf: the one reader of ELF files for the engines, the tracer and the
 * preload library. The files come from container images: every offset
 * and size read from one is checked against the file's size before it is
 * used, and what the kernel would refuse to run is reported as malformed.
 *
 * libc only (no allocation helper that aborts, no ud_error): the preload
 * library links this file on its own. Reads use pread on the caller's fd,
 * which stays the caller's. */
#ifndef UD_ELF_H
#define UD_ELF_H

#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An open ELF file: its fd (not owned), size and header. */
struct ud_elf {
	int fd;
	uint64_t size;
	/* ELFCLASS64 in this host's byte order: eh is valid and the program
	 * and section headers can be read; otherwise only type is. */
	bool native;
	uint16_t type; /* e_type: ET_EXEC, ET_DYN, ... (any class) */
	Elf64_Ehdr eh;
};

/* Reads the header of the regular file fd into e. Returns 0 when fd is an
 * ELF file (of any class; e->native says whether it can be read further),
 * -1 when it is not one (or cannot be read). */
int ud_elf_open(struct ud_elf *e, int fd);

/* Whether e is a program (ET_EXEC or ET_DYN). */
bool ud_elf_is_program(const struct ud_elf *e);

/* The longest interpreter name the kernel runs, with its NUL. */
#define UD_ELF_INTERP_MAX 4096

/* The first PT_INTERP, NUL-terminated, into buf (size bytes). Returns 1
 * when there is one, 0 when there is none (a static program, or not a
 * native one), -1 when the program headers or the interpreter are
 * malformed (the kernel would not run it) or it does not fit in buf. */
int ud_elf_interp(const struct ud_elf *e, char *buf, size_t size);

/* Whether a PT_DYNAMIC header is there (a dynamic program, a library or a
 * loader). False on malformed program headers. */
bool ud_elf_has_dynamic(const struct ud_elf *e);

/* The run path of the dynamic section into buf: DT_RUNPATH, else DT_RPATH
 * (the loader ignores DT_RPATH when DT_RUNPATH is there). Returns 1, 0
 * when there is none, -1 when malformed or longer than buf. */
int ud_elf_runpath(const struct ud_elf *e, char *buf, size_t size);

/* Calls fn with every version name of the GNU version sections: the
 * names the file defines (SHT_GNU_verdef, defined) or needs
 * (SHT_GNU_verneed). Records outside their section, chains that do not
 * move forward and names outside the string table end the walk of their
 * section. Returns 0, -1 on a malformed section table or a failed read. */
int ud_elf_versions(const struct ud_elf *e, bool defined, void (*fn)(const char *name, void *arg),
		    void *arg);

/* Whether the ELF loader at path takes the --argv0 option (glibc 2.33 and
 * later; older loaders take the option for the program's name): its name is
 * in the file (it is read: ask once per loader). */
bool ud_elf_loader_takes_argv0(const char *path);

#endif
