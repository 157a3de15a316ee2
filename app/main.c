/* main.c: the vigil binary; all it does is hand argv to the dispatcher. */
#include "app/cli.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
