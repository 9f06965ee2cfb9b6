/*
 * Looks like a Go program to faultrun's check: a dynamically linked ELF
 * with a .go.buildinfo section. (No Go toolchain is needed to test the
 * refusal.)
 */
__attribute__((section(".go.buildinfo"), used)) static const char buildinfo[] = "\xff Go buildinf:";

int main(void)
{
	return 0;
}
