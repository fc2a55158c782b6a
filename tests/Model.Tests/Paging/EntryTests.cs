using BootActors.Model.Kernel;
using BootActors.Model.Paging;
using Xunit;
using static BootActors.Model.Paging.X86;

namespace BootActors.Model.Tests.Paging;

/// <summary>Leaf values built by pfn_pte with __supported_pte_mask, and the entry predicates the walkers use.</summary>
public class EntryTests
{
    private const ulong NativeMask = ulong.MaxValue;

    // A domU drops GLOBAL, PWT and PCD (model-conventions item 3, kernel-notes §1.4).
    private const ulong XenMask = ~(0x100UL | 0x008UL | 0x010UL);

    [Fact]
    public void ANativeFourKiBLeafIsPhysOr8000000000000163()
    {
        Assert.Equal(0x8000000001234163UL, pfn_pte(0x1234, PAGE_KERNEL, NativeMask).Value);
    }

    [Fact]
    public void ANativeTwoMiBLeafIsPhysOr80000000000001e3()
    {
        Assert.Equal(0x80000000002001e3UL, pfn_pte(0x200, PAGE_KERNEL_LARGE, NativeMask).Value);
    }

    [Fact]
    public void AXenDomUFourKiBLeafHasNoGlobalBit()
    {
        // kernel-notes §1.4: "A domU 4 KiB leaf is therefore 0x8000000000000063 | frame."
        Assert.Equal(0x8000000001234063UL, pfn_pte(0x1234, PAGE_KERNEL, XenMask).Value);
    }

    [Fact]
    public void AXenDomUTwoMiBLeafKeepsPseButLosesGlobal()
    {
        Assert.Equal(0x80000000002000e3UL, pfn_pte(0x200, PAGE_KERNEL_LARGE, XenMask).Value);
    }

    [Fact]
    public void TheMaskAlsoDropsPwtAndPcdWhenTheProtectionAsksForThem()
    {
        var prot = PAGE_KERNEL | _PAGE_PWT | _PAGE_PCD;
        Assert.Equal(0x8000000000001063UL, pfn_pte(1, prot, XenMask).Value);
        Assert.Equal(0x800000000000117bUL, pfn_pte(1, prot, NativeMask).Value);
    }

    [Fact]
    public void KernelGlobalsBuildLeavesWithTheirMask()
    {
        var native = Globals(NativeMask);
        var xen = Globals(XenMask);
        Assert.Equal(0x8000000040000163UL, native.Leaf(0x40000000).Value);
        Assert.Equal(0x80000000400001e3UL, native.LargeLeaf(0x40000000).Value);
        Assert.Equal(0x8000000040000063UL, xen.Leaf(0x40000000).Value);
        Assert.Equal(0x80000000400000e3UL, xen.LargeLeaf(0x40000000).Value);

        // pfn_pte takes addr >> PAGE_SHIFT: an offset inside the page is dropped.
        Assert.Equal(0x8000000040000163UL, native.Leaf(0x40000fff).Value);
    }

    [Theory]
    [InlineData(0x0e3UL, true)]
    [InlineData(0x081UL, true)]
    [InlineData(0x080UL, false)]
    [InlineData(0x063UL, false)]
    [InlineData(0x067UL, false)]
    [InlineData(0x001UL, false)]
    [InlineData(0x80000000002001e3UL, true)]
    public void LargeMeansPseAndPresentBothSet(ulong value, bool large)
    {
        Assert.Equal(large, new PageTableEntry(value).Large);
    }

    [Fact]
    public void PresentWritableAndNoneReadTheirBits()
    {
        Assert.True(new PageTableEntry(0x1).Present);
        Assert.False(new PageTableEntry(0x2).Present);
        Assert.True(new PageTableEntry(0x2).Writable);
        Assert.False(new PageTableEntry(0x1).Writable);
        Assert.True(PageTableEntry.None.IsNone);
        Assert.False(new PageTableEntry(0x1000).IsNone);
        Assert.False(new PageTableEntry(0x1000).Present);
    }

    [Fact]
    public void FrameTakesOnlyTheBitsOfPteMask()
    {
        // NX, bits 46..62 and the flags are not part of the frame.
        var e = new PageTableEntry(0xfff0_4000_1234_5163UL);
        Assert.Equal(new Pfn(0x12345), e.Frame);
        Assert.Equal(0xfff0_4000_0000_0163UL, e.Flags);
    }

    [Fact]
    public void FrameOfATwoMiBLeafIsItsFirstFourKiBFrame()
    {
        Assert.Equal(new Pfn(0x200), new PageTableEntry(0x2000e3).Frame);
    }

    private static KernelGlobals Globals(ulong mask) => new()
    {
        Variant = KernelVariant.Fixed,
        E820 = BootActors.Model.E820.E820Map.FromMemorySize(1UL << 30),
        cpu_has_pse = true,
        direct_gbpages = false,
        Xen = mask != NativeMask,
        __supported_pte_mask = mask,
    };
}
