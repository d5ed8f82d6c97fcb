#!/bin/sh
# MPI with one udocker container per rank, Debian's Open MPI inside: srun
# starts the ranks, each runs `udocker run`, and the MPI library in the
# container reaches Slurm's PMIx server (udocker binds its directory and
# passes the PMIX_*/SLURM_* variables when it runs inside an srun step).
#
# Once, before submitting (a login node will do), a container named mpi:
#   udocker create --name=mpi debian:12
#   udocker setup --execmode=P1 mpi        # root emulation for apt-get
#   udocker run --user=root mpi sh -c 'apt-get update &&
#       apt-get install -y --no-install-recommends python3-mpi4py'
#   udocker setup --execmode=N1 mpi        # or any mode this host runs
# Then: sbatch examples/slurm/mpi.sh  (from the directory holding hello.py)
#SBATCH --job-name=udocker-mpi
#SBATCH --ntasks=2
srun --mpi=pmix udocker run -e OMPI_MCA_btl_vader_single_copy_mechanism=none \
  -v "$PWD:/w" mpi python3 /w/hello.py
