/* Identity emulation (-0 and -i UID:GID): every traced process carries the
 * ids it would have (real, effective, saved, file system; groups). The
 * identity calls report them; the set*id calls change them by the
 * kernel's rules, as if the process had those ids; while the emulated
 * effective uid is 0 ownership changes succeed. apt drops to _apt and
 * checks that it did: that works because the ids are tracked, not fixed. */
#include "tracer/tracer.h"

#include <errno.h>
#include <sys/syscall.h>

void tr_ids_init(const struct tr_config *c, struct tr_ids *ids)
{
	ids->r = ids->e = ids->s = ids->fs = c->uid;
	ids->rg = ids->eg = ids->sg = ids->fsg = c->gid;
	ids->n_groups = 1;
	ids->groups[0] = c->gid;
}

const int tr_identity_calls[] = {SYS_getuid,
				 SYS_geteuid,
				 SYS_getgid,
				 SYS_getegid,
				 SYS_getresuid,
				 SYS_getresgid,
				 SYS_getgroups,
				 SYS_setuid,
				 SYS_setgid,
				 SYS_setreuid,
				 SYS_setregid,
				 SYS_setresuid,
				 SYS_setresgid,
				 SYS_setfsuid,
				 SYS_setfsgid,
				 SYS_setgroups,
				 -1};
const int tr_ownership_calls[] = {SYS_chown, SYS_fchown,  SYS_lchown, SYS_fchownat,
				  SYS_mknod, SYS_mknodat, -1};

#define KEEP ((unsigned)-1)

/* May an unprivileged process take id v, given its r/e/s ids? */
static bool own(unsigned v, unsigned r, unsigned e, unsigned s)
{
	return v == KEEP || v == r || v == e || v == s;
}

/* setres[ug]id on one triple; returns 0 or -EPERM. */
static long set_res(bool priv, unsigned *r, unsigned *e, unsigned *s, unsigned *fs, unsigned nr_,
		    unsigned ne, unsigned ns)
{
	if (!priv && !(own(nr_, *r, *e, *s) && own(ne, *r, *e, *s) && own(ns, *r, *e, *s)))
		return -EPERM;
	if (nr_ != KEEP)
		*r = nr_;
	if (ne != KEEP)
		*e = ne;
	if (ns != KEEP)
		*s = ns;
	*fs = *e;
	return 0;
}

/* setre[ug]id: the saved id follows the effective one when the real one
 * is set or the effective one moves away from the real one. */
static long set_re(bool priv, unsigned *r, unsigned *e, unsigned *s, unsigned *fs, unsigned nr_,
		   unsigned ne)
{
	if (!priv && !((nr_ == KEEP || nr_ == *r || nr_ == *e) && own(ne, *r, *e, *s)))
		return -EPERM;
	unsigned old_r = *r;
	if (nr_ != KEEP)
		*r = nr_;
	if (ne != KEEP)
		*e = ne;
	if (nr_ != KEEP || (ne != KEEP && ne != old_r))
		*s = *e;
	*fs = *e;
	return 0;
}

static long set_one(bool priv, unsigned *r, unsigned *e, unsigned *s, unsigned *fs, unsigned v)
{
	if (priv) {
		*r = *e = *s = *fs = v;
		return 0;
	}
	if (v != *r && v != *s)
		return -EPERM;
	*e = *fs = v;
	return 0;
}

static long set_fs(bool priv, const unsigned *r, const unsigned *e, const unsigned *s, unsigned *fs,
		   unsigned v)
{
	long old = *fs;
	if (priv || v == *r || v == *e || v == *s || v == *fs)
		*fs = v;
	return old;
}

static void put_id(pid_t pid, unsigned long addr, unsigned v)
{
	if (addr)
		tr_write_mem(pid, addr, &v, sizeof(v));
}

bool tr_identity_exit(const struct tr_config *c, struct tr_tracee *t, struct user_regs_struct *regs,
		      bool *changed)
{
	struct tr_ids *d = &t->ids;
	long nr = (long)regs->orig_rax, ret = (long)regs->rax, r;
	unsigned a0 = (unsigned)regs->rdi, a1 = (unsigned)regs->rsi, a2 = (unsigned)regs->rdx;
	bool priv = d->e == 0;
	switch (c->fake_ids ? nr : -1) {
	case SYS_getuid:
		r = d->r;
		break;
	case SYS_geteuid:
		r = d->e;
		break;
	case SYS_getgid:
		r = d->rg;
		break;
	case SYS_getegid:
		r = d->eg;
		break;
	case SYS_getresuid:
	case SYS_getresgid:
		if (ret != 0)
			return true;
		put_id(t->pid, regs->rdi, nr == SYS_getresuid ? d->r : d->rg);
		put_id(t->pid, regs->rsi, nr == SYS_getresuid ? d->e : d->eg);
		put_id(t->pid, regs->rdx, nr == SYS_getresuid ? d->s : d->sg);
		return true;
	case SYS_getgroups:
		if ((int)a0 == 0)
			r = (long)d->n_groups;
		else if ((size_t)(int)a0 < d->n_groups)
			r = -EINVAL;
		else
			r = tr_write_mem(t->pid, regs->rsi, d->groups,
					 d->n_groups * sizeof(gid_t)) == 0
				    ? (long)d->n_groups
				    : -EFAULT;
		break;
	case SYS_setuid:
		r = set_one(priv, &d->r, &d->e, &d->s, &d->fs, a0);
		break;
	case SYS_setgid:
		r = set_one(priv, &d->rg, &d->eg, &d->sg, &d->fsg, a0);
		break;
	case SYS_setreuid:
		r = set_re(priv, &d->r, &d->e, &d->s, &d->fs, a0, a1);
		break;
	case SYS_setregid:
		r = set_re(priv, &d->rg, &d->eg, &d->sg, &d->fsg, a0, a1);
		break;
	case SYS_setresuid:
		r = set_res(priv, &d->r, &d->e, &d->s, &d->fs, a0, a1, a2);
		break;
	case SYS_setresgid:
		r = set_res(priv, &d->rg, &d->eg, &d->sg, &d->fsg, a0, a1, a2);
		break;
	case SYS_setfsuid:
		r = set_fs(priv, &d->r, &d->e, &d->s, &d->fs, a0);
		break;
	case SYS_setfsgid:
		r = set_fs(priv, &d->rg, &d->eg, &d->sg, &d->fsg, a0);
		break;
	case SYS_setgroups: {
		size_t n = (size_t)(int)a0;
		if (!priv)
			r = -EPERM;
		else if (n > UD_ARRAY_SIZE(d->groups))
			r = -EINVAL;
		else if (n && tr_read_mem(t->pid, regs->rsi, d->groups, n * sizeof(gid_t)) < 0)
			r = -EFAULT;
		else {
			d->n_groups = n;
			r = 0;
		}
		break;
	}
	default:
		if (!priv || !c->fake_root)
			return false;
		for (size_t i = 0; tr_ownership_calls[i] >= 0; i++) {
			if (tr_ownership_calls[i] == nr) {
				/* Ownership changes "succeed" for the emulated root. */
				if (ret == -EPERM || ret == -EINVAL) {
					regs->rax = 0;
					*changed = true;
				}
				return true;
			}
		}
		return false;
	}
	regs->rax = (unsigned long long)r;
	*changed = true;
	return true;
}
