using System.Runtime.InteropServices;

namespace BootActors.Model.Files;

/// <summary>What a path names, as stat(2) sees it after following symbolic links.</summary>
public enum FileKind
{
    Missing,
    Regular,
    Directory,
    CharacterDevice,
    BlockDevice,
    Fifo,
    Socket,

    /// <summary>stat failed for another reason (permission, a name too long); <see cref="FileStatus.Error"/> says which.</summary>
    Unknown,
}

/// <summary>
/// The type, size and identity (device, inode) of a path. .NET reports a FIFO or /dev/zero as an
/// ordinary empty file, and opening a FIFO blocks until a writer appears, so every reader asks
/// this first. On Linux it is statx(2), whose buffer layout is the same on every architecture;
/// elsewhere only files and directories are told apart.
/// </summary>
public readonly record struct FileStatus(FileKind Kind, ulong Device, ulong Inode, long Size, string? Error)
{
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;
    private const uint StatxIno = 0x100;
    private const uint StatxSize = 0x200;

    /// <summary>Whether <see cref="Device"/> and <see cref="Inode"/> identify the file.</summary>
    public bool HasIdentity => Inode != 0;

    /// <summary>"a directory", "a named pipe (FIFO)", … for messages.</summary>
    public string Describe() => Kind switch
    {
        FileKind.Regular => "a regular file",
        FileKind.Directory => "a directory",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Fifo => "a named pipe (FIFO)",
        FileKind.Socket => "a socket",
        FileKind.Missing => "missing",
        _ => "of an unknown kind",
    };

    /// <summary>Whether two statuses name the same existing file (a hard link or symbolic link to it included).</summary>
    public bool IsSameFileAs(FileStatus other) =>
        HasIdentity && other.HasIdentity && Device == other.Device && Inode == other.Inode;

    public static FileStatus Of(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0 || path.Contains('\0', StringComparison.Ordinal))
        {
            return new FileStatus(FileKind.Unknown, 0, 0, 0, "not a usable file name");
        }

        if (OperatingSystem.IsLinux())
        {
            try
            {
                return Statx(path);
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                // A libc without statx (glibc before 2.28): fall through to what .NET can tell.
            }
        }

        if (Directory.Exists(path))
        {
            return new FileStatus(FileKind.Directory, 0, 0, 0, null);
        }

        var info = new FileInfo(path);
        return info.Exists ? new FileStatus(FileKind.Regular, 0, 0, info.Length, null) : new FileStatus(FileKind.Missing, 0, 0, 0, null);
    }

    private static FileStatus Statx(string path)
    {
        var buffer = new byte[256];
        if (NativeStatx(AtFdCwd, path, 0, StatxType | StatxIno | StatxSize, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            const int ENOENT = 2, ENOTDIR = 20, ENOSYS = 38;
            return errno switch
            {
                ENOENT or ENOTDIR => new FileStatus(FileKind.Missing, 0, 0, 0, null),
                ENOSYS => throw new EntryPointNotFoundException("statx"),
                _ => new FileStatus(FileKind.Unknown, 0, 0, 0, Marshal.GetPInvokeErrorMessage(errno)),
            };
        }

        // struct statx: stx_mode at 28 (u16), stx_ino at 32, stx_size at 40, stx_dev_major/minor at 136/140.
        var mode = BitConverter.ToUInt16(buffer, 28);
        var kind = (mode & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0x2000 => FileKind.CharacterDevice,
            0x6000 => FileKind.BlockDevice,
            0x1000 => FileKind.Fifo,
            0xC000 => FileKind.Socket,
            _ => FileKind.Unknown,
        };
        var device = ((ulong)BitConverter.ToUInt32(buffer, 136) << 32) | BitConverter.ToUInt32(buffer, 140);
        return new FileStatus(kind, device, BitConverter.ToUInt64(buffer, 32), (long)Math.Min(BitConverter.ToUInt64(buffer, 40), long.MaxValue),
            kind == FileKind.Unknown ? "of an unknown file type" : null);
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int NativeStatx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);
}
