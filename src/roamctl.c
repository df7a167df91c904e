/* placeholder until roamctl lands */
int main(void) { return 0; }
