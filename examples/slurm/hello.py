# An MPI hello for examples/slurm/mpi.sh (mpi4py, Debian's Open MPI).
from mpi4py import MPI

comm = MPI.COMM_WORLD
total = comm.allreduce(comm.Get_rank() + 1, op=MPI.SUM)
print("rank %d of %d (sum of ranks+1: %d)" % (comm.Get_rank(), comm.Get_size(), total), flush=True)
